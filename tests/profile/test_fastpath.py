"""The typed OpenAI fast path reads a record exactly as the generic path does, or declines."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from llmops.core.textprofile import profile_text
from llmops.workflows.profile.fastpath import openai_call
from llmops.workflows.profile.formats_api import from_openai
from tests.profile.helpers import openai_record

BASE = openai_record("Please summarise the attached meeting notes.", False)
FAILED = openai_record("Please summarise the attached meeting notes.", True)


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record = json.loads(json.dumps(base))
    record.update(changes)
    return record


READABLE = [
    BASE,
    FAILED,
    variant(BASE, status=None, status_code=503, latency_ms=12, timestamp=1_700_000_000_123),
    variant(BASE, duration_ms="250", time="2025-03-01T10:00:00Z", feature="summary"),
    variant(BASE, response=None),
    variant(BASE, response={"choices": [{"finish_reason": "content_filter"}], "usage": {}}),
    variant(BASE, response={"error": {"type": "server_error"}}, status=200),
    variant(FAILED, status=429, response={"error": {"code": None, "type": None}}),
    variant(BASE, error=""),
    variant(
        BASE,
        request={
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "parts": [{"text": "first"}, "second"]},
                {"role": "assistant", "content": None},
                {"role": "user", "content": [{"type": "text", "text": "last"}]},
            ]
        },
    ),
]

DECLINED = [
    b"not json",
    b'{"request": {"messages": [{"role": "user", "content": "caf\xff"}]}}',
    orjson.dumps(variant(BASE, **{"llmops.request_id": "r1"})),
    orjson.dumps(variant(BASE, custom_id="c1")),
    orjson.dumps(variant(BASE, error={"code": "x"})),
    orjson.dumps(variant(BASE, request={"input": "hello"})),
    orjson.dumps(variant(BASE, request={"messages": [{"role": "system", "content": "s"}]})),
    orjson.dumps(variant(BASE, response={"type": "message", "content": []})),
    orjson.dumps(variant(BASE, response="text")),
    orjson.dumps(variant(BASE, feature={"nested": 1})),
    json.dumps(variant(BASE, status=2**70)).encode(),
]


@pytest.mark.parametrize("record", READABLE)
def test_fast_path_builds_the_generic_call(record: dict[str, Any]) -> None:
    assert openai_call(orjson.dumps(record)) == from_openai(record)


@pytest.mark.parametrize("line", DECLINED)
def test_fast_path_declines_what_the_generic_path_must_decide(line: bytes) -> None:
    assert openai_call(line) is None


def test_forced_openai_format_reads_an_anthropic_shaped_record() -> None:
    record = variant(BASE, response={"type": "message", "choices": []})
    line = orjson.dumps(record)
    assert openai_call(line) is None
    assert openai_call(line, sniffing=False) == from_openai(record)


@pytest.mark.parametrize(
    ("text", "words", "informal"),
    [("a\u00a0u c", 3, 1), ("x\u3000thx", 2, 1), ("\u2003lead", 1, 0), ("\u212a thx", 2, 2),
     ("¿qué tal? u", 3, 1), ("\u0434\u0432\u0430\u2028u", 2, 1), ("caf\u00e9\u00a0\u00a0k", 2, 1)],
)  # fmt: skip
def test_words_and_informal_markers_split_on_unicode_spaces(
    text: str, words: int, informal: int
) -> None:
    profile = profile_text(text, detect_language=False)
    assert (profile.words, profile.informal_markers) == (words, informal)
