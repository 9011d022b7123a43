"""OTLP/JSON exports (the OpenTelemetry Collector's file exporter): GenAI spans and their logs.

One line is one export batch: ``{"resourceSpans": [...]}`` or ``{"resourceLogs": [...]}``, as the
Collector's ``file`` exporter writes them (ids in hex, ``intValue`` as a string, enums as numbers;
protobuf's own JSON, with base64 ids, reads the same). Every GenAI ``chat``/``text_completion``
span is one call, whichever conventions the instrumentation followed:

- the newest, prompts on the span: ``gen_ai.input.messages`` (a JSON string or a structured
  value), or the older ``gen_ai.prompt`` / ``gen_ai.prompt.N.content`` attributes;
- the older conventions (still the default of the official OpenAI instrumentation): the prompt
  only in log records (``eventName: gen_ai.user.message``, the text in a ``kvlistValue`` body),
  linked to their span by traceId/spanId;
- ``event_only``: a ``gen_ai.client.inference.operation.details`` log record whose
  ``gen_ai.input.messages`` is a structured (``arrayValue``/``kvlistValue``) value.

A span without its prompt becomes a partial call keyed by its trace and span ids, a log record a
partial call with only the prompt; the scanner joins them (in any order, across lines and files).
Every ``AnyValue`` kind is decoded. The outcome is the span's: failed when its status is ERROR or
it has an ``error.type``, whose Python class reprs (``<class 'openai.RateLimitError'>``) and
dotted paths are reduced to the class name. The HTTP status is read from
``http.response.status_code`` (or the older ``http.status_code``), else from the status message
(``Error code: 429 - …``, as the OpenAI SDK words its errors).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

import msgspec
import orjson

from llmops.workflows.profile.calls import (
    Call,
    as_float,
    as_int,
    content_text,
    messages_text,
    parse_time,
)

__all__ = ["from_otlp", "is_otlp", "otlp_attributes", "record_calls"]


class AnyValue(msgspec.Struct, rename="camel"):
    """An OTLP ``AnyValue``: exactly one of the fields is set (none for an empty value)."""

    string_value: str | None = None
    bool_value: bool | None = None
    int_value: int | str | None = None
    double_value: float | str | None = None
    array_value: ArrayValue | None = None
    kvlist_value: KeyValueList | None = None
    bytes_value: str | None = None


class ArrayValue(msgspec.Struct):
    values: list[AnyValue] = []


class KeyValue(msgspec.Struct):
    key: str
    value: AnyValue | None = None


class KeyValueList(msgspec.Struct):
    values: list[KeyValue] = []


class Status(msgspec.Struct):
    code: int | str | None = None
    message: str | None = None


class Span(msgspec.Struct, rename="camel"):
    trace_id: str = ""
    span_id: str = ""
    name: str = ""
    start_time_unix_nano: int | str | None = None
    end_time_unix_nano: int | str | None = None
    attributes: list[KeyValue] = []
    status: Status | None = None


class ScopeSpans(msgspec.Struct, rename="camel"):
    spans: list[Span] = []


class ResourceSpans(msgspec.Struct, rename="camel"):
    scope_spans: list[ScopeSpans] = []


class LogRecord(msgspec.Struct, rename="camel"):
    trace_id: str = ""
    span_id: str = ""
    event_name: str | None = None
    body: AnyValue | None = None
    attributes: list[KeyValue] = []


class ScopeLogs(msgspec.Struct, rename="camel"):
    log_records: list[LogRecord] = []


class ResourceLogs(msgspec.Struct, rename="camel"):
    scope_logs: list[ScopeLogs] = []


class Export(msgspec.Struct, rename="camel"):
    """One line of the Collector's file exporter: a traces or a logs export request."""

    resource_spans: list[ResourceSpans] = []
    resource_logs: list[ResourceLogs] = []


_STATUS_IN_MESSAGE = re.compile(r"\b(?:Error code|status(?: code)?)[:= ]+([1-5]\d\d)\b", re.I)
_CLASS_REPR = re.compile(r"^<class '([\w.]+)'>$")
_ERROR_CODES = (2, "2", "ERROR", "STATUS_CODE_ERROR")
#: the span names of GenAI inference operations (``{operation} {model}``)
_OPERATIONS = ("chat", "text_completion", "generate_content")


def is_otlp(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an OTLP export request (traces or logs)."""
    return "resourceSpans" in obj or "resourceLogs" in obj


def decode_value(value: AnyValue | None) -> Any:
    """The Python value of an ``AnyValue``: str, bool, int, float, list, dict, bytes or None."""
    if value is None:
        return None
    if value.string_value is not None:
        return value.string_value
    if value.bool_value is not None:
        return value.bool_value
    if value.int_value is not None:
        return as_int(value.int_value)
    if value.double_value is not None:
        return as_float(value.double_value)
    if value.array_value is not None:
        return [decode_value(v) for v in value.array_value.values]
    if value.kvlist_value is not None:
        return {kv.key: decode_value(kv.value) for kv in value.kvlist_value.values}
    if value.bytes_value is not None:
        try:
            return base64.b64decode(value.bytes_value)
        except ValueError:
            return None
    return None


def otlp_attributes(raw: list[KeyValue]) -> dict[str, Any]:
    """OTLP attributes (``[{key, value}]``) as a dict of decoded values."""
    return {kv.key: decode_value(kv.value) for kv in raw}


def from_otlp(obj: Mapping[str, Any]) -> list[Call]:
    """The calls (whole, or partial to be joined) in one OTLP export line."""
    try:
        export = msgspec.convert(obj, Export)
    except msgspec.ValidationError:
        return []
    calls: list[Call] = []
    for resource in export.resource_spans:
        for scope in resource.scope_spans:
            calls += [c for span in scope.spans if (c := _span_call(span)) is not None]
    for resource_logs in export.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            calls += [c for rec in scope_logs.log_records if (c := _log_call(rec)) is not None]
    return calls


def record_calls(calls: list[Call]) -> int:
    """How many calls an export line holds: its spans (log records only add prompts to them)."""
    return sum(call.outcome is not None for call in calls)


def _join_key(trace_id: str, span_id: str) -> str:
    return f"otlp:{trace_id}:{span_id}"


def _span_call(span: Span) -> Call | None:
    attrs = otlp_attributes(span.attributes)
    operation = attrs.get("gen_ai.operation.name")
    if operation is None:
        if not any(k.startswith("gen_ai.") for k in attrs):
            return None
        operation = span.name.partition(" ")[0]
    if operation not in _OPERATIONS:
        return None
    text, turns = _input_of(attrs)
    code = span.status.code if span.status is not None else None
    message = span.status.message if span.status is not None else None
    error_type = _error_type(attrs.get("error.type"))
    failed = code in _ERROR_CODES or error_type is not None
    status = as_int(attrs.get("http.response.status_code", attrs.get("http.status_code")))
    if status is None and message:
        found = _STATUS_IN_MESSAGE.search(message)
        status = int(found.group(1)) if found else None
    start, end = as_float(span.start_time_unix_nano), as_float(span.end_time_unix_nano)
    usage = attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens"))
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=(error_type or (f"http_{status}" if status else "span_error"))
        if failed
        else None,
        status=status if status is not None else (None if failed else 200),
        model=attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
        output_tokens=as_int(usage),
        latency_s=(end - start) / 1e9
        if start is not None and end is not None and end >= start
        else None,
        time=parse_time(start),
        # a span with its prompt is whole; one without waits for its log records
        join_key=None if text is not None else _join_key(span.trace_id, span.span_id),
    )


def _log_call(record: LogRecord) -> Call | None:
    """The prompt a log record carries, as a partial call joined to its span by id."""
    if not record.span_id:
        return None
    attrs = otlp_attributes(record.attributes)
    name = record.event_name or attrs.get("event.name")
    text: str | None
    turns: int | None
    if name == "gen_ai.user.message":
        body = decode_value(record.body)
        content = body.get("content") if isinstance(body, dict) else body
        if content is None:
            return None
        text, turns = content_text(_maybe_json(content)), None
    elif name == "gen_ai.client.inference.operation.details":
        text, turns = _input_of(attrs)
        if text is None:
            text, turns = _input_of(_as_dict(decode_value(record.body)))
    else:
        return None
    if text is None:
        return None
    return Call(text=text, turns=turns, join_key=_join_key(record.trace_id, record.span_id))


def _input_of(attrs: Mapping[str, Any]) -> tuple[str | None, int | None]:
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:
            return messages_text(_maybe_json(attrs[key]))
    indexed = sorted(k for k in attrs if k.startswith("gen_ai.prompt.") and k.endswith(".content"))
    if indexed:
        messages = [
            {"role": attrs.get(k[: -len("content")] + "role") or "user", "content": attrs[k]}
            for k in indexed
        ]
        return messages_text(messages)
    return None, None


def _error_type(value: Any) -> str | None:
    """``error.type`` as a short name: a class repr or a dotted path reduced to the class name."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    found = _CLASS_REPR.match(text)
    if found:
        text = found.group(1)
    if re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+", text):
        text = text.rsplit(".", 1)[1]
    return text


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
