"""Whatever a queue holds, decoding it either succeeds or says why (never another error)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmops.stores.reprocess import decode_payload, encode_payload

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60)
@given(st.binary(max_size=200) | st.text(max_size=200) | st.integers())
def test_arbitrary_payloads_decode_or_raise_value_error(blob: object) -> None:
    with contextlib.suppress(ValueError):
        decode_payload(blob)


@settings(max_examples=60)
@given(json_values)
def test_arbitrary_json_decodes_or_raises_value_error(value: object) -> None:
    import orjson

    with contextlib.suppress(ValueError):
        decode_payload(orjson.dumps({"messages": value}))


def test_what_is_encoded_decodes_to_the_same_call() -> None:
    messages = [{"role": "user", "content": "héllo"}]
    assert decode_payload(encode_payload(messages, "overloaded", 12.5)) == (
        messages,
        "overloaded",
        12.5,
    )
    with pytest.raises(ValueError, match="messages"):
        decode_payload(b'{"messages": "not a list"}')
