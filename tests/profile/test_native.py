"""The compiled fast path counts exactly what the Python path counts, or declines the line.

Each test scans the same bytes twice, once with the compiled module and once with it switched off
(msgspec fast path and orjson generic path, the reference), and compares every counter. Where
the compiled module is not built the tests skip, except under CI (``LLMOPS_REQUIRE_NATIVE=1``),
where a missing build fails.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmops.core.textprofile import measure_text
from llmops.workflows.profile import native
from llmops.workflows.profile.formats import RecordReader
from llmops.workflows.profile.scan import ScanOptions, ScanResult, scan_stream
from tests.profile.helpers import openai_record

if not native.AVAILABLE:
    if os.environ.get("LLMOPS_REQUIRE_NATIVE"):
        raise RuntimeError("the compiled profile fast path is not built")
    pytest.skip("the compiled profile fast path is not built", allow_module_level=True)

TALLY_FIELDS = (
    "cells",
    "error_types",
    "fallbacks",
    "latency_ms_log2",
    "output_tokens",
    "formats",
    "first_time",
    "last_time",
)


def _scan(data: bytes, options: ScanOptions, compiled: bool) -> ScanResult:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(native, "AVAILABLE", compiled)
        return scan_stream(io.BytesIO(data), "log.jsonl", options)


def assert_same(data: bytes, options: ScanOptions | None = None) -> ScanResult:
    """Scan ``data`` both ways; every counter must agree. Returns the compiled path's result."""
    options = options or ScanOptions(detect_language=False)
    fast = _scan(data, options, True)
    slow = _scan(data, options, False)
    for name in TALLY_FIELDS:
        assert getattr(fast.tally, name) == getattr(slow.tally, name), name
    assert list(fast.tally.cells) == list(slow.tally.cells)  # same cells, first seen in order
    assert fast.records == slow.records
    assert fast.lines == slow.lines
    assert fast.skipped == slow.skipped
    assert fast.problems.counts == slow.problems.counts
    assert fast.problems.examples == slow.problems.examples
    return fast


def counted_natively(line: bytes, sniffing: bool = True) -> bool:
    """Whether the compiled scan counts ``line`` itself (rather than declining it)."""
    forced = None if sniffing else "openai"
    options = ScanOptions(reader=RecordReader(forced=forced), detect_language=False)
    sink = native.NativeSink(options, ScanResult())
    buf = line + b"\n"
    stop, lines = native.scan(buf, 0, len(buf), sink)
    return stop == len(buf) and lines == 1


def line_of(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record)


BASE = openai_record("Please summarise the attached meeting notes.", False)
FAILED = openai_record("Please summarise the attached meeting notes.", True)


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(base))
    record.update(changes)
    return record


def with_text(text: str, base: dict[str, Any] = BASE) -> dict[str, Any]:
    return variant(base, request={"messages": [{"role": "user", "content": text}]})


# ----------------------------------------------------------------------------- the text measures

TEXTS = [
    "",
    " ",
    "hello",
    "  leading and trailing  ",
    "thx u r gr8 lol!! ok?? btw, idk. PLZ; Thx! u.. w/ w/o b4",
    "K\u212a \u212a thx",  # Kelvin sign lower-cases to "k"
    "\u0130 u",  # İ lower-cases to two characters
    "def f():\n    return 1\n",
    "   \t\u00a0  import os",
    "a; b; {c}",
    "```\ncode\n```",
    "`` ` ``",
    "!!!!! ??? !?!?",
    "naïve café — “quoted” … 😀 𝄞",
    "请总结附件中的会议记录，并列出每一项待办事项。",  # noqa: RUF001
    "Пожалуйста, кратко изложи заметки.",
    "word\u2003word\u3000word\u0085word\u1680word\u202fword\u205fword\u2028x\u2029y",
    "\x1c\x1d\x1e\x1f split \x0b\x0c\r\n lines",
    "line1\nline2\n\n\nline5\n",
    "SELECT * FROM t;\nCREATE TABLE x (a int);",
    "@decorator\n}\nfunc main() {}",
    "x" * 3000,
    ("thx " * 200) + "lol",  # markers beyond the first 500 characters are not counted
    ("é" * 499) + " u",
    ("é" * 498) + " u",
    "\x00\x01 control u",
]


@pytest.mark.parametrize("text", TEXTS)
def test_measure_matches_textprofile(text: str) -> None:
    chars, words, lines, tokens, code, _, share, informal = measure_text(text, False)
    assert native.measure(text.encode()) == (chars, words, lines, tokens, code, share, informal)


_ALPHABET = st.sampled_from(
    [
        *"aAbKkuUrRwWtTxXhH/.,!?:;{}`'\"@#()\n\t\r \x0b\x0c\x1c\x1f\x00",
        "\u00a0",
        "\u0085",
        "\u2003",
        "\u3000",
        "\u212a",
        "\u0130",
        "é",
        "ж",
        "中",
        "😀",
        "—",
        "thx",
        "u",
        "lol",
        "def ",
        "import ",
        "if (",
        "SELECT ",
        "```",
        "!!",
        "??",
        "w/o",
        "B4",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_measure_matches_textprofile_on_generated_text(text: str) -> None:
    chars, words, lines, tokens, code, _, share, informal = measure_text(text, False)
    assert native.measure(text.encode()) == (chars, words, lines, tokens, code, share, informal)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=700))
def test_measure_matches_textprofile_on_any_text(text: str) -> None:
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: no JSON line carries one to the fast path
        return
    chars, words, lines, tokens, code, _, share, informal = measure_text(text, False)
    assert native.measure(raw) == (chars, words, lines, tokens, code, share, informal)


@pytest.mark.parametrize("text", [*TEXTS, "lone \ud800 surrogate"])
@pytest.mark.parametrize("detect", [False, True])
def test_measure_text_for_other_formats_matches_textprofile(text: str, detect: bool) -> None:
    assert native.measure_text(text, detect) == measure_text(text, detect)


def test_measure_refuses_invalid_utf8() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        native.measure(b"caf\xe9")


# ----------------------------------------------------------------------------- whole records

READ_NATIVELY = [
    BASE,
    FAILED,
    with_text('caf\u00e9 \u4e2d\u6587 \U0001f600 "quoted" back\\slash\nnew line\ttab'),
    with_text(""),
    variant(BASE, status=None, status_code=503, latency_ms=12, timestamp=1_700_000_000_123),
    variant(BASE, latency_ms=12.75, timestamp="2025-03-01T10:00:00.123+05:30", feature=7),
    variant(BASE, time="2025-03-01 10:00:00.123456", feature="summary"),
    variant(BASE, created_at="2025-03-01T10:00:00.1234Z"),  # read by the Python parse_time
    variant(BASE, timestamp="1700000000"),
    variant(BASE, timestamp="yesterday"),
    variant(BASE, timestamp=True, latency_ms=None),
    variant(BASE, timestamp=-5, duration_ms=0),
    variant(BASE, response=None),
    variant(BASE, response={"choices": [{"finish_reason": "content_filter"}], "usage": {}}),
    variant(BASE, response={"choices": [{"finish_reason": ""}]}),
    variant(BASE, response={"choices": [], "model": None, "usage": None}),
    variant(BASE, response={"choices": "none", "model": "m"}),
    variant(BASE, response={"choices": [1, {"finish_reason": "stop"}]}),
    variant(BASE, response={"error": {"type": "server_error"}}, status=200),
    variant(BASE, response={"error": None, "model": "m"}, status=404),
    variant(FAILED, status=429, response={"error": {"code": None, "type": None}}),
    variant(FAILED, response={"error": {"code": 0, "type": "rate"}}),
    variant(FAILED, response={"error": {"code": 1234}}),
    variant(BASE, error=None),
    variant(BASE, response={"usage": {"completion_tokens": None, "output_tokens": 5}}),
    variant(BASE, response={"usage": {"output_tokens": 5}}),
    variant(
        BASE,
        request={
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": "first"},
                "not a message",
                {"role": "assistant", "content": None},
                {"role": "user", "content": "last", "name": "x"},
                {"role": 3},
            ],
            "max_tokens": 5,
        },
    ),
    variant(BASE, request={"messages": [{"role": "user", "content": None}]}),
    variant(BASE, request={"messages": [{"role": "user"}]}),
    variant(BASE, request={"messages": [{"role": "user", "content": 12}]}),
    variant(BASE, extra={"deep": [[[[{"a": [1, 2.5e-3, -0.0, True, False, None]}]]]]}),
]

DECLINED = [
    b"not json",
    b"",
    b"   ",
    b'{"request": {"messages": [{"role": "user", "content": "caf\xff"}]}}',
    b'{"request": {"messages": [{"role": "user", "content": "a\\ud800"}]}}',
    b'{"request": {"messages": [{"role": "user", "content": "x"}]}} trailing',
    b'{"request": {"messages": [{"role": "user", "content": "x"}]}, "latency_ms": 1e400}',
    b'{"request": {"messages": [{"role": "user", "content": "x"}]}, "n": 123456789012345678901}',
    b'{"re\\u0071uest": {"messages": [{"role": "user", "content": "x"}]}}',
    b'{"request": {"messages": [{"role": "us\\u0065r", "content": "x"}]}}',
    b'{"request": {"messages": []}, "request": {"messages": [{"role": "user", "content": "x"}]}}',
    b'{"request": {"messages": [{"role": "user", "content": "x"}]}, "status": 200, "status": 500}',
    b'{"request": {"messages": [{"role": "user", "content": "x\tx"}]}}',
    line_of(variant(BASE, **{"llmops.request_id": "r1"})),
    line_of(variant(BASE, custom_id="c1")),
    line_of(variant(BASE, error={"code": "x"})),
    line_of(variant(BASE, request={"input": "hello"})),
    line_of(variant(BASE, request={"messages": [{"role": "system", "content": "s"}]})),
    line_of(variant(BASE, request={"messages": [{"role": "user", "content": [{"text": "a"}]}]})),
    line_of(variant(BASE, request={"messages": [{"role": "user", "parts": ["a"]}]})),
    line_of(variant(BASE, response={"type": "message", "content": []})),
    line_of(variant(BASE, response="text")),
    line_of(variant(BASE, feature={"nested": 1})),
    line_of(variant(BASE, feature=1.5)),
    line_of(variant(BASE, status="500")),
    line_of(variant(BASE, model_version="x", response={"model": 5})),
    line_of(variant(FAILED, response={"error": {"code": True}})),
    line_of(variant(BASE, response={"choices": [{"finish_reason": 3}]})),
    line_of(variant(BASE, response={"usage": {"completion_tokens": 1.5}})),
    line_of(variant(BASE, response=None, request={"messages": [], "max_tokens": 1, "system": ""})),
    b"[" * 300 + b"]" * 300,
]


@pytest.mark.parametrize("record", READ_NATIVELY)
def test_a_plain_record_is_counted_natively_and_as_python_counts_it(record: dict[str, Any]) -> None:
    line = line_of(record)
    assert counted_natively(line)
    result = assert_same(line + b"\n")
    assert result.records == 1


@pytest.mark.parametrize("line", DECLINED)
def test_an_unusual_line_is_declined_and_read_the_python_way(line: bytes) -> None:
    assert not counted_natively(line)
    assert_same(line + b"\n" + line_of(BASE) + b"\n")


def test_forced_openai_format_counts_an_anthropic_shaped_record() -> None:
    line = line_of(variant(BASE, response={"type": "message", "choices": []}))
    assert not counted_natively(line)
    assert counted_natively(line, sniffing=False)
    options = ScanOptions(reader=RecordReader(forced="openai"), detect_language=False)
    assert assert_same(line + b"\n", options).records == 1


def test_a_mixed_log_counts_the_same_both_ways() -> None:
    lines = [line_of(r) for r in READ_NATIVELY] + list(DECLINED) + [b"\r", b"{}"]
    data = b"\n".join(lines * 3) + b"\n" + line_of(BASE)  # no newline at the end
    assert_same(data)


def test_the_time_window_and_language_detection_agree() -> None:
    records = [variant(BASE, timestamp=f"2025-03-0{d}T10:00:00Z") for d in range(1, 8)] + [
        variant(BASE),
        with_text("Bitte fasse die Notizen der Besprechung zusammen, danke."),
    ]
    data = b"".join(line_of(r) + b"\n" for r in records)
    options = ScanOptions(since=1740909600.0, until=1741255200.0)  # 2nd 10:00 to 6th 10:00
    result = assert_same(data, options)
    assert result.skipped["outside --since/--until"] == 5
    assert_same(data, ScanOptions(detect_language=True))


def test_category_caps_agree_past_the_limit() -> None:
    records = [variant(BASE, feature=f"f{i}", response={"model": f"m{i}"}) for i in range(260)]
    data = b"".join(line_of(r) + b"\n" for r in records)
    result = assert_same(data)
    assert any(key[-1] == "(other)" for key in result.tally.cells)


def test_long_lines_are_reported_at_the_same_place() -> None:
    long = line_of(with_text("x" * 5000))
    data = b"\n".join([line_of(BASE), long, line_of(BASE), long]) + b"\n"
    result = assert_same(data, ScanOptions(detect_language=False, max_line_bytes=1000))
    assert result.problems.counts == {"line too long": 2}


_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "stop", "length", "content_filter", "2025-03-01T10:00:00Z", "é", "500"]),
)
_VALUE = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def mostly(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nine times in ten a plausible value, else any scalar or list."""
    return st.one_of(*[plausible] * 9, _VALUE)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
_MESSAGE = st.fixed_dictionaries(
    {"role": mostly(st.sampled_from(["user", "system", "assistant"])), "content": mostly(_TEXT)},
    optional={"parts": _VALUE, "name": _VALUE},
)


def _with_user(messages: list[Any]) -> st.SearchStrategy[list[Any]]:
    user = st.fixed_dictionaries({"role": st.just("user"), "content": _TEXT})
    return st.builds(lambda last: [*messages, last], user)


_CODE = mostly(st.one_of(st.none(), st.sampled_from(["rate_limit", "server_error", "", 0, 500])))
_RESPONSE = st.fixed_dictionaries(
    {
        "choices": mostly(
            st.lists(
                mostly(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "finish_reason": mostly(
                                st.sampled_from([None, "stop", "length", "content_filter", ""])
                            )
                        },
                    )
                ),
                max_size=2,
            )
        ),
    },
    optional={
        "error": mostly(
            st.one_of(st.none(), st.fixed_dictionaries({}, optional={"code": _CODE, "type": _CODE}))
        ),
        "model": mostly(st.sampled_from(["gpt-4o-mini-2024-07-18", "gpt-4o", None])),
        "usage": mostly(
            st.fixed_dictionaries(
                {},
                optional={
                    "completion_tokens": mostly(st.integers(0, 10_000)),
                    "output_tokens": mostly(st.integers(0, 10_000)),
                },
            )
        ),
        "type": st.sampled_from(["message", "error", "chat.completion", 1]),
    },
)
_TIME = st.one_of(
    st.integers(-10, 2 * 10**18),
    st.floats(0, 2e12),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(lambda d: d.isoformat()),
    st.sampled_from(["2025-03-01T10:00:00.5Z", "2025-02-30T10:00:00", "2025-03-01T10:00:00Z"]),
)
_RECORD = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {"messages": mostly(st.lists(_MESSAGE, max_size=3).flatmap(_with_user))},
            optional={"max_tokens": _SCALAR, "system": _SCALAR},
        ),
        "response": mostly(_RESPONSE),
    },
    optional={
        "error": mostly(st.none()),
        "status": mostly(st.sampled_from([200, 200, 429, 500, 503, None])),
        "status_code": mostly(st.sampled_from([200, 404])),
        "latency_ms": mostly(st.one_of(st.integers(0, 10**7), st.floats(0, 1e7))),
        "duration_ms": _VALUE,
        "timestamp": mostly(_TIME),
        "time": _TIME,
        "feature": mostly(st.one_of(st.sampled_from(["summary", "chat"]), st.integers(0, 9))),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_RECORD, min_size=1, max_size=5))
def test_generated_records_count_the_same_both_ways(records: list[dict[str, Any]]) -> None:
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
    assert_same(data)


GRAMMAR = [b"[1,]", b"[1 , ]", b"[,1]", b"[]", b"[ ]", b"[1,2]", b'{"a":1,}', b'{"a\\u0041":1}']
GRAMMAR += [b"{}", b"[[],[{}]]", b"[1 2]", b'{"a" 1}', b"-0.5e+3", b"01", b"1.", b"tru", b'"\\x"']


@pytest.mark.parametrize("value", GRAMMAR)
def test_the_json_grammar_of_skipped_values_is_orjsons(value: bytes) -> None:
    line = b'{"request": {"messages": [{"role": "user", "content": "x"}]}, "extra": %s}' % value
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        valid = False
    else:
        valid = True
    assert counted_natively(line) == valid
