"""Observability records: OpenTelemetry GenAI spans, LiteLLM, Langfuse, Helicone.

OpenTelemetry: OTLP/JSON export lines (spans and their log records) are read by
:mod:`~llmops.workflows.profile.formats_otlp`; here, one flat span per line with an
``attributes`` object (or OTLP's key/value list). Both the current GenAI attribute names
(``gen_ai.provider.name``, ``gen_ai.input.messages``, ``gen_ai.usage.input_tokens``/``output_tokens``) and the older ones
(``gen_ai.system``, ``gen_ai.prompt``, ``gen_ai.prompt.N.content``,
``gen_ai.usage.prompt_tokens``/``completion_tokens``, ``gen_ai.user.message`` span events) are read.

Each format is decoded straight from the line's bytes into the structs below; message lists that
a platform stores as JSON text are decoded into the same typed :data:`Messages`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import msgspec

from llmops.workflows.profile.calls import (
    UNSET,
    Call,
    Messages,
    Scalar,
    as_float,
    as_int,
    cached_time,
    messages_text,
    user_text,
)
from llmops.workflows.profile.formats_logs import classify_outcome

__all__ = [
    "HeliconeRecord",
    "LangfuseRecord",
    "LitellmRecord",
    "OtelRecord",
    "from_helicone",
    "from_langfuse",
    "from_litellm",
    "from_otel",
]

_decode_any = msgspec.json.decode
_decode_messages = msgspec.json.Decoder(Messages).decode


def _maybe_json(value: Any) -> Any:
    """A value a platform may hold as JSON text, decoded (untyped) when it is."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return _decode_any(value)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return value
    return value


def _messages(value: Any) -> tuple[str | None, int | None]:
    """The input text of a typed message list, or of one stored as JSON text."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            value = _decode_messages(value)
    return user_text(value)


# ------------------------------------------------------------------------- OpenTelemetry


class _KeyValue(msgspec.Struct):
    key: Any = UNSET
    value: Any = None


#: span attributes: an object (flat span) or OTLP's list of key/value pairs
Attributes = dict[str, Any] | list[_KeyValue | Scalar | list[Any]] | Scalar


class Span(msgspec.Struct):
    """One span, flat or inside an OTLP export."""

    attributes: Attributes = None
    events: Any = None
    status: Any = None
    startTimeUnixNano: Any = UNSET
    start_time: Any = UNSET
    endTimeUnixNano: Any = UNSET
    end_time: Any = UNSET


class OtelRecord(Span):
    """One flat span per line (OTLP export lines are read by :mod:`.formats_otlp`)."""


def _otlp_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    if "arrayValue" in value:
        return [_otlp_value(v) for v in value["arrayValue"].get("values", [])]
    return None


def _attributes(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list):
        out: dict[str, Any] = {}
        for a in raw:
            if type(a) is _KeyValue and a.key is not UNSET:
                out[a.key] = _otlp_value(a.value)
            elif isinstance(a, dict) and "key" in a:  # an event's attributes (untyped)
                out[a["key"]] = _otlp_value(a.get("value"))
        return out
    return {}


def _span_input(attrs: Mapping[str, Any], span: Span) -> tuple[str | None, int | None]:
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:  # JSON text as a rule; a flat span may hold the list itself
            value = attrs[key]
            return _messages(value) if isinstance(value, str) else messages_text(value)
    indexed = [
        (k, v)
        for k, v in attrs.items()
        if k.startswith("gen_ai.prompt.") and k.endswith(".content")
    ]
    if indexed:
        roles = {
            k[: -len(".content")]: attrs.get(k[: -len("content")] + "role") for k, _ in indexed
        }
        messages = [
            {"role": roles[k[: -len(".content")]] or "user", "content": v} for k, v in indexed
        ]
        return messages_text(messages)
    for event in span.events if isinstance(span.events, list) else ():
        if isinstance(event, dict) and event.get("name") == "gen_ai.user.message":
            body = _attributes(event.get("attributes")).get("content", event.get("body"))
            return messages_text([{"role": "user", "content": _maybe_json(body)}])
    return None, None


def _one_span(span: Span) -> Call | None:
    attrs = _attributes(span.attributes)
    if not any(k.startswith("gen_ai.") for k in attrs):
        return None
    text, turns = _span_input(attrs, span)
    if text is None:
        return None
    status = span.status
    code = status.get("code") if isinstance(status, dict) else status
    error_type = attrs.get("error.type")
    failed = code in (2, "2", "ERROR", "STATUS_CODE_ERROR") or error_type is not None
    start = as_float(
        span.startTimeUnixNano if span.startTimeUnixNano is not UNSET else span.start_time
    )
    end = as_float(span.endTimeUnixNano if span.endTimeUnixNano is not UNSET else span.end_time)
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=(str(error_type or "span_error")) if failed else None,
        status=as_int(attrs.get("http.response.status_code")),
        model=attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model"),
        output_tokens=as_int(
            attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens"))
        ),
        latency_s=(end - start) / 1e9
        if start is not None and end is not None and end >= start > 1e12
        else None,
        time=cached_time(start),
    )


def from_otel(rec: OtelRecord) -> list[Call]:
    """The one GenAI call of a flat span line."""
    call = _one_span(rec)
    return [] if call is None else [call]


# ------------------------------------------------------------------------- LiteLLM, Langfuse


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class LitellmRecord(msgspec.Struct):
    """LiteLLM's ``StandardLoggingPayload``."""

    messages: Messages = None
    status: Any = None
    error_information: Any = None
    startTime: Any = None
    endTime: Any = None
    response: Any = None
    model: Any = None
    metadata: Any = None
    completion_tokens: Any = None
    model_group: Any = None


def from_litellm(rec: LitellmRecord) -> Call | None:
    """A LiteLLM ``StandardLoggingPayload`` (custom callbacks, the logging proxies)."""
    text, turns = _messages(rec.messages)
    if text is None:
        return None
    failed = rec.status == "failure"
    info = _mapping(rec.error_information)
    start, end = as_float(rec.startTime), as_float(rec.endTime)
    response = rec.response
    model = response.get("model") if isinstance(response, dict) else None
    metadata = _mapping(rec.metadata)
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=str(info.get("error_class") or info.get("error_code") or "failure")
        if failed
        else None,
        status=as_int(info.get("error_code")) if failed else 200,
        model=model or rec.model,
        output_tokens=as_int(rec.completion_tokens),
        latency_s=end - start if start is not None and end is not None else None,
        time=cached_time(rec.startTime),
        feature=metadata.get("user_api_key_alias") or rec.model_group,
    )


class LangfuseRecord(msgspec.Struct):
    """A Langfuse observation (API or export)."""

    type: Any = ""
    input: Messages = None
    level: Any = ""
    usageDetails: Any = None
    usage: Any = None
    startTime: Any = None
    endTime: Any = None
    statusMessage: Any = None
    model: Any = None
    name: Any = None


def from_langfuse(rec: LangfuseRecord) -> Call | None:
    """A Langfuse observation of type GENERATION (API or export); other types give None."""
    if str(rec.type).upper() != "GENERATION":
        return None
    text, turns = _messages(rec.input)
    if text is None:
        return None
    failed = str(rec.level).upper() == "ERROR"
    usage = rec.usageDetails or rec.usage or {}
    start, end = cached_time(rec.startTime), cached_time(rec.endTime)
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=str(rec.statusMessage or "error") if failed else None,
        model=rec.model,
        output_tokens=as_int(usage.get("output")) if isinstance(usage, dict) else None,
        latency_s=end - start if start is not None and end is not None else None,
        time=start,
        feature=rec.name,
    )


# ------------------------------------------------------------------------- Helicone


class _HeliconeBody(msgspec.Struct):
    messages: Messages = UNSET
    prompt: Messages = UNSET
    model: Any = None


class _HeliconeResponse(msgspec.Struct):
    error: Any = None


_HeliconeBodyField = _HeliconeBody | Scalar | list[Any]
_HeliconeResponseField = _HeliconeResponse | Scalar | list[Any]
_decode_body = msgspec.json.Decoder(_HeliconeBodyField).decode
_decode_response = msgspec.json.Decoder(_HeliconeResponseField).decode


class HeliconeRecord(msgspec.Struct):
    """A Helicone request record (its request API / export)."""

    request_body: _HeliconeBodyField = None
    response_status: Any = None
    response_body: _HeliconeResponseField = None
    request_properties: Any = None
    delay_ms: Any = UNSET
    latency: Any = None
    response_model: Any = None
    model: Any = None
    completion_tokens: Any = None
    request_created_at: Any = None


def _json_text(value: Any, decode: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return value
    return value


def from_helicone(rec: HeliconeRecord) -> Call | None:
    """A Helicone request record (its request API / export: ``request_body``, ``response_status``)."""
    body = _json_text(rec.request_body, _decode_body)
    if type(body) is not _HeliconeBody:
        return None
    text, turns = user_text(body.messages if body.messages is not UNSET else body.prompt)
    if text is None:
        return None
    status = as_int(rec.response_status)
    failed = status is None or status >= 400 or status <= 0
    response = _json_text(rec.response_body, _decode_response)
    error = response.error if type(response) is _HeliconeResponse else None
    properties = _mapping(rec.request_properties)
    outcome, kind = ("error", None) if failed else ("ok", None)
    if "outcome" in properties:
        outcome, kind = classify_outcome(properties["outcome"])
    latency_ms = as_float(rec.delay_ms if rec.delay_ms is not UNSET else rec.latency)
    return Call(
        text=text,
        turns=turns,
        outcome=outcome,
        error_type=kind
        or (
            (str(error.get("type") if isinstance(error, dict) else None) or f"http_{status}")
            if failed
            else None
        ),
        status=status,
        model=rec.response_model or rec.model or body.model,
        output_tokens=as_int(rec.completion_tokens),
        latency_s=None if latency_ms is None else latency_ms / 1000.0,
        time=cached_time(rec.request_created_at),
        feature=properties.get("feature") or properties.get("Helicone-Property-Feature"),
    )
