"""Every format's typed reader gives the calls the dict-based reference reader gives.

Checked on every line of the samples in ``scenarios/logs/``, on hand-picked records with odd
types in every place a reader looks, and on hypothesis-generated records of each format (nine in
ten values plausible, the rest any JSON value). Both the sniffed and the forced format are read,
and chat records both ways (with and without the one-pass :class:`ChatRecord` guess).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmops.workflows.profile.formats import FORMATS, RecordReader
from llmops.workflows.profile.formats_logs import FailureRule, FieldMap
from tests.profile.helpers import SAMPLES, openai_record
from tests.profile.reference import reference_calls


def is_otlp_export(line: bytes, forced: str | None) -> bool:
    """OTLP export lines are read by their own reader (issue 17: log records joined to spans,
    statuses from the status message, ``error.type`` normalised), which the old reader predates:
    tests/profile/test_formats_otlp.py and test_otlp_exports.py check it."""
    return forced in (None, "otel") and line.lstrip().startswith(
        (b'{"resourceSpans"', b'{"resourceLogs"')
    )


def assert_reads_as_reference(line: bytes, forced: str | None = None) -> None:
    reader = RecordReader(forced)
    if is_otlp_export(line, forced):
        assert reader.read(line)[0] == "otel"
        return
    try:
        expected = reference_calls(line, forced)
    except (TypeError, AttributeError):  # the old reader crashed here; the typed one reads on
        reader.read(line)
        return
    assert reader.read(line) == expected
    assert reader.read(line, chat_first=True) == expected


def dumps(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


SAMPLE_LINES = [
    pytest.param(line, id=f"{path.name}:{n}")
    for path in sorted(SAMPLES.glob("*.jsonl"))
    for n, line in enumerate(path.read_bytes().splitlines(), 1)
    if line.strip()
]


@pytest.mark.parametrize("line", SAMPLE_LINES)
def test_each_sample_line_reads_as_the_reference(line: bytes) -> None:
    assert_reads_as_reference(line)


@pytest.mark.parametrize("forced", [f for f in FORMATS if f != "structured"])
@pytest.mark.parametrize("line", SAMPLE_LINES[::3])
def test_a_forced_format_reads_as_the_reference(line: bytes, forced: str) -> None:
    assert_reads_as_reference(line, forced)


def test_structured_records_read_with_fields_and_rule_as_the_reference() -> None:
    fields = FieldMap.parse(["input=request.prompt", "outcome=result.status", "error=err.type"])
    rule = FailureRule.parse("level>=50")
    for name in ("structlog.jsonl", "pino.jsonl"):
        for line in (SAMPLES / name).read_bytes().splitlines():
            for r in (None, rule):
                reader = RecordReader("structured", fields, r)
                assert reader.read(line) == reference_calls(line, "structured", fields, r)


BASE = openai_record("Please summarise the attached meeting notes.", False)
ODD = [None, True, 0, 1.5, "", "x", [], [1, {"a": 2}], {}, {"k": "v"}]


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(json.dumps(base))
    record.update(changes)
    return record


HAND_PICKED = [
    variant(BASE, status=None, status_code=503, latency_ms=12, timestamp=1_700_000_000_123),
    variant(BASE, duration_ms="250", time="2025-03-01T10:00:00Z", feature="summary"),
    variant(BASE, response={"choices": [{"finish_reason": ["a"]}], "model": ["m"]}),
    variant(BASE, response={"error": {"type": "server_error"}}, status=200),
    variant(BASE, error="", custom_id="c"),
    variant(BASE, error={"code": "x"}),
    variant(BASE, error="boom", status=502),
    variant(BASE, request={"input": "hello"}),
    variant(BASE, request={"messages": None, "input": "hello"}),
    variant(BASE, request={"messages": [{"role": "user", "parts": [{"text": "a"}, "b"]}]}),
    variant(BASE, response={"type": "message", "content": [], "stop_reason": "tool_use"}),
    variant(BASE, response={"type": "error", "error": {"type": "overloaded_error"}}),
    variant(BASE, request={"messages": [], "max_tokens": 5, "system": "s"}, response=None),
    variant(BASE, **{"llmops.request_id": "r1", "event": "model_call"}),
    {"custom_id": "c1", "error": {"code": None}},
    {"custom_id": "c1", "response": {"status_code": "500", "body": {"error": "x"}}},
    {
        "call_type": "completion",
        "status": "failure",
        "messages": '[{"role":"user","content":"hi"}]',
    },
    {"traceId": "t", "type": "generation", "input": "plain text", "usage": {"output": "7"}},
    {"request_body": '{"prompt": "p"}', "response_status": 0, "response_body": '{"error": []}'},
    {"attributes": {"gen_ai.prompt.0.content": "x", "gen_ai.prompt.0.role": None}},
    {
        "attributes": [
            {"key": "gen_ai.system", "value": {"arrayValue": {"values": [{"intValue": 1}]}}}
        ],
        "events": [
            {
                "name": "gen_ai.user.message",
                "attributes": [{"key": "content", "value": {"stringValue": "q"}}],
            }
        ],
        "status": {"code": 2},
    },
    {"resourceSpans": [{"scopeSpans": [{"spans": [None, {"attributes": {}}]}]}]},
]
HAND_PICKED += [
    variant(BASE, **{key: odd}) for key in ("request", "response", "error") for odd in ODD
]
HAND_PICKED += [variant(BASE, response={**BASE["response"], key: odd})  # type: ignore[dict-item]
                for key in ("choices", "usage", "error", "model", "type") for odd in ODD]  # fmt: skip


@pytest.mark.parametrize("record", HAND_PICKED)
def test_hand_picked_records_read_as_the_reference(record: dict[str, Any]) -> None:
    assert_reads_as_reference(dumps(record))
    assert_reads_as_reference(dumps(record), "openai")
    assert_reads_as_reference(dumps(record), "anthropic")


def test_a_cancelled_llmops_call_has_no_outcome_to_profile() -> None:
    def finished(outcome: str) -> bytes:
        return dumps(
            {"event": "call_finished", "llmops.request_id": "r1", "llmops.outcome": outcome}
        )

    reader = RecordReader(None)
    assert [c.outcome for c in reader.read(finished("error"))[1]] == ["error"]
    assert reader.read(finished("cancelled")) == ("llmops", [])  # the caller left: no outcome


@pytest.mark.parametrize("line", [b"[1, 2]", b'"text"', b"3", b" {}", b"null"])
def test_json_that_is_not_an_object(line: bytes) -> None:
    assert_reads_as_reference(line)


# ---------------------------------------------------------------------- generated records

_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),  # orjson turns integers past 64 bits into floats
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "stop", "error", "GENERATION", "2025-03-01T10:00:00Z", "é", "500"]),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=2),
    max_leaves=6,
)  # fmt: skip


def mostly(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nine times in ten a plausible value, else any JSON value."""
    return st.one_of(*[plausible] * 9, _VALUE)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_CONTENT = st.one_of(
    _TEXT,
    st.lists(st.one_of(_TEXT, st.fixed_dictionaries({"type": st.just("text"), "text": _TEXT}))),
)
_MESSAGE = st.fixed_dictionaries(
    {"role": mostly(st.sampled_from(["user", "system", "assistant"])), "content": mostly(_CONTENT)},
    optional={"parts": _VALUE},
)
_MESSAGES = mostly(st.lists(mostly(_MESSAGE), max_size=3))
_AS_JSON_TEXT = st.one_of(_MESSAGES, _MESSAGES.map(json.dumps), _TEXT)
_NUMBER = mostly(st.one_of(st.integers(0, 10**6), st.floats(0, 1e6), st.just("12")))
_TIME = st.one_of(
    st.integers(-10, 2 * 10**18),
    st.floats(0, 2e12),
    st.sampled_from(["2025-03-01T10:00:00.5Z", "2025-02-30T10:00:00", "1740823200"]),
)
_ERROR = mostly(st.fixed_dictionaries({}, optional={"code": _VALUE, "type": _VALUE}))
_RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "choices": mostly(st.lists(mostly(st.fixed_dictionaries({}, optional={"finish_reason": mostly(st.sampled_from([None, "stop", "length", "content_filter"]))})), max_size=2)),
        "error": _ERROR,
        "model": mostly(st.sampled_from(["gpt-4o-mini", "claude-3-5-sonnet"])),
        "usage": mostly(st.fixed_dictionaries({}, optional={"completion_tokens": _NUMBER, "output_tokens": _NUMBER})),
        "type": st.sampled_from(["message", "error", "chat.completion", 1]),
        "stop_reason": mostly(st.sampled_from([None, "end_turn", "tool_use", "refusal"])),
        "content": mostly(_CONTENT),
    },
)  # fmt: skip
_CHAT = st.fixed_dictionaries(
    {"request": mostly(st.fixed_dictionaries({"messages": _MESSAGES}, optional={"max_tokens": _SCALAR, "system": _SCALAR, "input": _MESSAGES}))},
    optional={
        "response": mostly(_RESPONSE), "error": mostly(st.one_of(st.none(), _ERROR)),
        "status": mostly(st.sampled_from([200, 429, 500, None])), "status_code": _NUMBER,
        "latency_ms": _NUMBER, "duration_ms": _VALUE, "timestamp": mostly(_TIME), "time": _TIME,
        "feature": mostly(st.sampled_from(["summary", "chat"])), "custom_id": _VALUE,
    },
)  # fmt: skip
_BATCH = st.fixed_dictionaries(
    {"custom_id": mostly(st.sampled_from(["r1", "r2", 3]))},
    optional={
        "body": mostly(st.fixed_dictionaries({"messages": _MESSAGES})),
        "response": mostly(st.fixed_dictionaries({"status_code": _NUMBER, "body": mostly(_RESPONSE)})),
        "error": _ERROR,
    },
)  # fmt: skip
_LITELLM = st.fixed_dictionaries(
    {"call_type": st.just("completion"), "status": mostly(st.sampled_from(["success", "failure"])), "messages": _AS_JSON_TEXT},
    optional={
        "error_information": mostly(st.fixed_dictionaries({}, optional={"error_class": _VALUE, "error_code": _VALUE})),
        "startTime": _NUMBER, "endTime": _NUMBER, "response": _VALUE, "model": _VALUE,
        "metadata": mostly(st.fixed_dictionaries({}, optional={"user_api_key_alias": _VALUE})),
        "completion_tokens": _NUMBER, "model_group": _VALUE,
    },
)  # fmt: skip
_LANGFUSE = st.fixed_dictionaries(
    {"traceId": st.just("t1"), "type": mostly(st.sampled_from(["GENERATION", "generation", "SPAN"])), "input": _AS_JSON_TEXT},
    optional={
        "level": mostly(st.sampled_from(["DEFAULT", "ERROR"])), "usage": _VALUE,
        "usageDetails": mostly(st.fixed_dictionaries({}, optional={"output": _NUMBER})),
        "startTime": mostly(_TIME), "endTime": mostly(_TIME), "statusMessage": _VALUE,
        "model": _VALUE, "name": _VALUE,
    },
)  # fmt: skip
_HELICONE_BODY = mostly(
    st.fixed_dictionaries(
        {}, optional={"messages": _MESSAGES, "prompt": _AS_JSON_TEXT, "model": _VALUE}
    )
)
_HELICONE = st.fixed_dictionaries(
    {"request_body": st.one_of(_HELICONE_BODY, _HELICONE_BODY.map(json.dumps)), "response_status": mostly(st.sampled_from([200, 500, 0, "429"]))},
    optional={
        "response_body": st.one_of(_VALUE, st.fixed_dictionaries({"error": _ERROR}).map(json.dumps)),
        "request_properties": mostly(st.fixed_dictionaries({}, optional={"outcome": _VALUE, "feature": _VALUE})),
        "delay_ms": _NUMBER, "latency": _NUMBER, "response_model": _VALUE, "model": _VALUE,
        "completion_tokens": _NUMBER, "request_created_at": _TIME,
    },
)  # fmt: skip
_ATTRS = st.fixed_dictionaries(
    {"gen_ai.system": st.just("openai")},
    optional={
        "gen_ai.input.messages": _AS_JSON_TEXT, "gen_ai.prompt": _AS_JSON_TEXT,
        "gen_ai.prompt.0.content": _TEXT, "gen_ai.prompt.0.role": _VALUE,
        "gen_ai.response.model": _VALUE, "gen_ai.usage.output_tokens": _NUMBER,
        "error.type": _VALUE, "http.response.status_code": _NUMBER,
    },
)  # fmt: skip
_OTLP_ATTRS = _ATTRS.map(
    lambda a: [{"key": k, "value": {"stringValue": v} if isinstance(v, str) else {"intValue": v}} for k, v in a.items()]
)  # fmt: skip
_SPAN = st.fixed_dictionaries(
    {"attributes": st.one_of(_ATTRS, _OTLP_ATTRS)},
    optional={
        "status": mostly(st.sampled_from([{}, {"code": 2}, "ERROR", 0])),
        "startTimeUnixNano": _TIME, "endTimeUnixNano": _TIME, "start_time": _TIME,
        "events": mostly(st.lists(st.fixed_dictionaries({"name": st.just("gen_ai.user.message"), "body": _TEXT}), max_size=1)),
    },
)  # fmt: skip
_OTLP = st.lists(_SPAN, max_size=2).map(
    lambda spans: {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
)
_LLMOPS = st.fixed_dictionaries(
    {"llmops.request_id": mostly(st.sampled_from(["r1", "r2"])), "event": st.sampled_from(["input_profile", "model_call", "call_finished", "other"])},
    optional={
        "time": _TIME, "llmops.feature": _VALUE, "llmops.input.chars": _NUMBER,
        "llmops.input.words": _NUMBER, "llmops.input.has_code": _VALUE, "llmops.input.language": _VALUE,
        "gen_ai.response.model": _VALUE, "gen_ai.usage.output_tokens": _NUMBER,
        "http.response.status_code": _NUMBER, "llmops.attempt": _NUMBER, "llmops.attempts": _NUMBER,
        "llmops.outcome": mostly(st.sampled_from(["ok", "degraded:cached", "error", "cancelled"])),
        "error.type": _VALUE, "llmops.latency_s": _NUMBER,
    },
)  # fmt: skip
RECORDS = {
    "chat": _CHAT, "batch": _BATCH, "litellm": _LITELLM, "langfuse": _LANGFUSE,
    "helicone": _HELICONE, "otel-span": _SPAN, "otlp": _OTLP, "llmops": _LLMOPS,
}  # fmt: skip


@pytest.mark.parametrize("kind", list(RECORDS))
def test_generated_records_read_as_the_reference(kind: str) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(record=RECORDS[kind], forced=st.sampled_from([None, None, *FORMATS[:-1]]))
    def check(record: dict[str, Any], forced: str | None) -> None:
        assert_reads_as_reference(dumps(record), forced)

    check()
