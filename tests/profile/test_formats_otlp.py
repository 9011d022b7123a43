"""The OTLP reader on small hand-written export lines: value kinds, statuses, joins, counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import orjson

from llmops.workflows.profile import profile_logs
from llmops.workflows.profile.calls import Call
from llmops.workflows.profile.formats import Keys, RecordReader, calls_counted, sniff
from llmops.workflows.profile.formats_otlp import decode_value

TRACE, SPAN = "5b8aa5a2d2c872e8321cf37308d69df2", "051581bf3cb55c13"


def kv(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def read(line: dict[str, Any]) -> tuple[str, list[Call]]:
    return RecordReader().read(orjson.dumps(line))


def span_line(*attrs: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    span = {
        "traceId": TRACE,
        "spanId": SPAN,
        "name": "chat gpt-4o",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000500000000",
        "attributes": [kv("gen_ai.operation.name", {"stringValue": "chat"}), *attrs],
        "status": status or {},
    }
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def user_log_line(text: str) -> dict[str, Any]:
    body = {"kvlistValue": {"values": [kv("content", {"stringValue": text})]}}
    record = {"traceId": TRACE, "spanId": SPAN, "eventName": "gen_ai.user.message", "body": body}
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}


def test_every_any_value_kind_is_decoded() -> None:
    raw = {
        "kvlistValue": {
            "values": [
                kv("s", {"stringValue": "x"}),
                kv("b", {"boolValue": True}),
                kv("i", {"intValue": "42"}),
                kv("d", {"doubleValue": 0.5}),
                kv("bytes", {"bytesValue": "aGk="}),
                kv("a", {"arrayValue": {"values": [{"intValue": 1}, {"stringValue": "y"}]}}),
                kv("empty", {}),
            ]
        }
    }
    value = decode_value(raw)
    assert value == {
        "s": "x",
        "b": True,
        "i": 42,
        "d": 0.5,
        "bytes": b"hi",
        "a": [1, "y"],
        "empty": None,
    }


def test_a_failed_span_gives_its_status_from_the_message_and_a_short_error_type() -> None:
    line = span_line(
        kv("gen_ai.input.messages", {"stringValue": '[{"role": "user", "content": "hi"}]'}),
        kv("error.type", {"stringValue": "<class 'openai.RateLimitError'>"}),
        status={"code": 2, "message": "Error code: 429 - {'error': {'message': 'slow down'}}"},
    )
    fmt, (call,) = read(line)
    assert (fmt, call.outcome, call.error_type, call.status) == (
        "otel",
        "error",
        "RateLimitError",
        429,
    )
    assert call.text == "hi" and call.latency_s == 0.5


def test_the_status_attribute_wins_over_the_message() -> None:
    line = span_line(
        kv("gen_ai.prompt", {"stringValue": "hi"}),
        kv("http.response.status_code", {"intValue": "503"}),
        kv("error.type", {"stringValue": "openai.InternalServerError"}),
        status={"code": 2, "message": "Error code: 500"},
    )
    (call,) = read(line)[1]
    assert (call.status, call.error_type) == (503, "InternalServerError")


def test_a_span_and_its_prompt_log_join_in_either_order(tmp_path: Path) -> None:
    span = span_line(kv("gen_ai.response.model", {"stringValue": "gpt-4o-2024-08-06"}))
    for order in ([user_log_line("first prompt"), span], [span, user_log_line("first prompt")]):
        path = tmp_path / "export.jsonl"
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in order))
        result = profile_logs([str(path)])
        assert (result.requests, result.failures, result.records) == (1, 0, 2)
        assert result.formats == {"otel": 1}


def test_an_export_line_counts_its_calls_and_a_log_line_none() -> None:
    two = span_line(kv("gen_ai.prompt", {"stringValue": "a"}))
    spans = two["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans.append({**spans[0], "spanId": "1111111111111111"})
    keys = [msgspec.json.decode(orjson.dumps(x), type=Keys) for x in (two, user_log_line("x"))]
    assert [sniff(k) for k in keys] == ["otel", "otel"]
    assert calls_counted("otel", read(two)[1]) == 2
    assert calls_counted("otel", read(user_log_line("x"))[1]) == 0


def test_spans_that_are_not_genai_inference_are_not_calls() -> None:
    line = span_line()
    line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = [
        kv("http.request.method", {"stringValue": "POST"})
    ]
    assert read(line)[1] == []


def test_values_of_unexpected_types_never_make_a_line_unreadable() -> None:
    good = span_line(kv("gen_ai.prompt", {"stringValue": "still read"}))
    scope = good["resourceSpans"][0]["scopeSpans"][0]
    scope["spans"] = [None, 3, ["x"], {"status": "weird", "attributes": 7}, *scope["spans"]]
    good["resourceSpans"] = [5, *good["resourceSpans"]]
    logs = user_log_line("x")
    logs["resourceLogs"][0]["scopeLogs"][0]["logRecords"].insert(0, {"spanId": 12, "body": []})
    fmt, calls = read({**good, **logs})
    assert fmt == "otel"
    assert [c.text for c in calls if c.outcome is not None] == ["still read"]
    assert [c.text for c in calls if c.outcome is None] == ["x"]
