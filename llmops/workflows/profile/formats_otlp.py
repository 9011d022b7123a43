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
from typing import Any, TypeAlias, TypeVar

import msgspec

from llmops.workflows.profile.calls import (
    UNSET,
    Call,
    Scalar,
    as_float,
    as_int,
    cached_time,
    content_text,
    messages_text,
)

T = TypeVar("T")

__all__ = [
    "Export",
    "decode_export",
    "decode_value",
    "from_otlp",
    "is_otlp",
    "otlp_attributes",
    "record_calls",
]


class KeyValue(msgspec.Struct):
    """An attribute: its value stays the plain JSON ``AnyValue`` object, see :func:`decode_value`."""

    key: Any = UNSET
    value: Any = None


Attributes: TypeAlias = list[KeyValue | Scalar | list[Any]] | Scalar | dict[str, Any]


class Status(msgspec.Struct):
    code: Any = None
    message: Any = None


class Span(msgspec.Struct, rename="camel"):
    trace_id: Any = ""
    span_id: Any = ""
    name: Any = ""
    start_time_unix_nano: Any = None
    end_time_unix_nano: Any = None
    attributes: Attributes = None
    status: Status | Scalar | list[Any] = None


class ScopeSpans(msgspec.Struct):
    spans: list[Span | Scalar | list[Any]] | Scalar | dict[str, Any] = None


class ResourceSpans(msgspec.Struct, rename="camel"):
    scope_spans: list[ScopeSpans | Scalar | list[Any]] | Scalar | dict[str, Any] = None


class LogRecord(msgspec.Struct, rename="camel"):
    trace_id: Any = ""
    span_id: Any = ""
    event_name: Any = None
    body: Any = None
    attributes: Attributes = None


class ScopeLogs(msgspec.Struct, rename="camel"):
    log_records: list[LogRecord | Scalar | list[Any]] | Scalar | dict[str, Any] = None


class ResourceLogs(msgspec.Struct, rename="camel"):
    scope_logs: list[ScopeLogs | Scalar | list[Any]] | Scalar | dict[str, Any] = None


class Export(msgspec.Struct, rename="camel"):
    """One line of the Collector's file exporter: a traces or a logs export request (both keys
    absent: not an OTLP line)."""

    resource_spans: list[ResourceSpans | Scalar | list[Any]] | Scalar | dict[str, Any] = UNSET
    resource_logs: list[ResourceLogs | Scalar | list[Any]] | Scalar | dict[str, Any] = UNSET


decode_export = msgspec.json.Decoder(Export).decode


_STATUS_IN_MESSAGE = re.compile(r"\b(?:Error code|status(?: code)?)[:= ]+([1-5]\d\d)\b", re.I)
_CLASS_REPR = re.compile(r"^<class '([\w.]+)'>$")
_ERROR_CODES = (2, "2", "ERROR", "STATUS_CODE_ERROR")
#: the span names of GenAI inference operations (``{operation} {model}``)
_OPERATIONS = ("chat", "text_completion", "generate_content")


def is_otlp(export: Export) -> bool:
    """Whether the decoded line is an OTLP export request (traces or logs)."""
    return export.resource_spans is not UNSET or export.resource_logs is not UNSET


def decode_value(value: Any) -> Any:
    """The Python value of an OTLP ``AnyValue`` object (as JSON holds it): str, bool, int,
    float, list (``arrayValue``), dict (``kvlistValue``), bytes (``bytesValue``) or None."""
    if not isinstance(value, dict):
        return value
    for key, found in value.items():
        if key == "stringValue" or key == "boolValue":
            return found
        if key == "intValue":
            return as_int(found)
        if key == "doubleValue":
            return as_float(found)
        if key == "arrayValue":
            items = found.get("values") if isinstance(found, dict) else None
            return [decode_value(v) for v in items] if isinstance(items, list) else []
        if key == "kvlistValue":
            pairs = found.get("values") if isinstance(found, dict) else None
            return {
                kv["key"]: decode_value(kv.get("value"))
                for kv in (pairs if isinstance(pairs, list) else ())
                if isinstance(kv, dict) and isinstance(kv.get("key"), str)
            }
        if key == "bytesValue":
            try:
                return base64.b64decode(found)
            except (ValueError, TypeError):
                return None
    return None


def otlp_attributes(raw: Any) -> dict[str, Any]:
    """Attributes as a dict of decoded values: OTLP's ``[{key, value}]`` list (typed
    :class:`KeyValue` items or plain dicts), or a flat span's object as it is."""
    if isinstance(raw, dict):
        return raw
    out: dict[str, Any] = {}
    for kv in raw if isinstance(raw, list) else ():
        if type(kv) is KeyValue and isinstance(kv.key, str):
            out[kv.key] = decode_value(kv.value)
        elif isinstance(kv, dict) and isinstance(kv.get("key"), str):
            out[kv["key"]] = decode_value(kv.get("value"))
    return out


def _items(value: Any, kind: type[T]) -> list[T]:
    return [v for v in value if type(v) is kind] if type(value) is list else []


def from_otlp(export: Export) -> list[Call]:
    """The calls (whole, or partial to be joined) in one OTLP export line."""
    calls: list[Call] = []
    for resource in _items(export.resource_spans, ResourceSpans):
        for scope in _items(resource.scope_spans, ScopeSpans):
            calls += [
                c for span in _items(scope.spans, Span) if (c := _span_call(span)) is not None
            ]
    for resource_logs in _items(export.resource_logs, ResourceLogs):
        for scope_logs in _items(resource_logs.scope_logs, ScopeLogs):
            records = _items(scope_logs.log_records, LogRecord)
            calls += [c for rec in records if (c := _log_call(rec)) is not None]
    return calls


def record_calls(calls: list[Call]) -> int:
    """How many calls an export line holds: its spans (log records only add prompts to them)."""
    return sum(call.outcome is not None for call in calls)


def _join_key(trace_id: Any, span_id: Any) -> str:
    return f"otlp:{trace_id}:{span_id}"


def _span_call(span: Span) -> Call | None:
    attrs = otlp_attributes(span.attributes)
    operation = attrs.get("gen_ai.operation.name")
    if operation is None:
        if not any(k.startswith("gen_ai.") for k in attrs):
            return None
        operation = str(span.name).partition(" ")[0]
    if operation not in _OPERATIONS:
        return None
    text, turns = _input_of(attrs)
    status_ = span.status
    code = status_.code if type(status_) is Status else status_
    message = status_.message if type(status_) is Status else None
    error_type = _error_type(attrs.get("error.type"))
    failed = code in _ERROR_CODES or error_type is not None
    status = as_int(attrs.get("http.response.status_code", attrs.get("http.status_code")))
    if status is None and isinstance(message, str):
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
        time=cached_time(start),
        # a span with its prompt is whole; one without waits for its log records
        join_key=None if text is not None else _join_key(span.trace_id, span.span_id),
    )


def _log_call(record: LogRecord) -> Call | None:
    """The prompt a log record carries, as a partial call joined to its span by id."""
    if not record.span_id or not isinstance(record.span_id, str):
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
            return msgspec.json.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return value
    return value


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
