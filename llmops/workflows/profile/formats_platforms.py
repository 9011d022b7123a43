"""Observability records: OpenTelemetry GenAI spans, LiteLLM, Langfuse, Helicone.

OpenTelemetry: OTLP/JSON export lines (spans and log records) are read by
:mod:`llmops.workflows.profile.formats_otlp`; here, one flat span per line with an
``attributes`` object (or list). Both the current GenAI attribute names (``gen_ai.provider.name``,
``gen_ai.input.messages``, ``gen_ai.usage.input_tokens``/``output_tokens``) and the older ones
(``gen_ai.system``, ``gen_ai.prompt``, ``gen_ai.prompt.N.content``,
``gen_ai.usage.prompt_tokens``/``completion_tokens``, ``gen_ai.user.message`` span events) are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import orjson

from llmops.workflows.profile.calls import Call, as_float, as_int, messages_text, parse_time
from llmops.workflows.profile.formats_native import classify_outcome
from llmops.workflows.profile.formats_otlp import KeyValue, from_otlp, is_otlp, otlp_attributes

__all__ = ["from_helicone", "from_langfuse", "from_litellm", "from_otel", "is_otel_span"]


def _attributes(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list):
        try:
            return otlp_attributes(msgspec.convert(raw, list[KeyValue]))
        except msgspec.ValidationError:
            return {}
    return {}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def is_otel_span(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an OTLP export or a span carrying ``gen_ai.*`` attributes."""
    if is_otlp(obj):
        return True
    attrs = obj.get("attributes")
    if isinstance(attrs, dict):
        return any(k.startswith("gen_ai.") for k in attrs)
    return isinstance(attrs, list) and any(
        isinstance(a, dict) and str(a.get("key", "")).startswith("gen_ai.") for a in attrs
    )


def _span_input(attrs: Mapping[str, Any], span: Mapping[str, Any]) -> tuple[str | None, int | None]:
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:
            return messages_text(_maybe_json(attrs[key]))
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
    for event in span.get("events") or []:
        if isinstance(event, dict) and event.get("name") == "gen_ai.user.message":
            body = _attributes(event.get("attributes")).get("content", event.get("body"))
            return messages_text([{"role": "user", "content": _maybe_json(body)}])
    return None, None


def _one_span(span: Mapping[str, Any]) -> Call | None:
    attrs = _attributes(span.get("attributes"))
    if not any(k.startswith("gen_ai.") for k in attrs):
        return None
    text, turns = _span_input(attrs, span)
    if text is None:
        return None
    status = span.get("status")
    code = status.get("code") if isinstance(status, dict) else status
    error_type = attrs.get("error.type")
    failed = code in (2, "2", "ERROR", "STATUS_CODE_ERROR") or error_type is not None
    start = as_float(span.get("startTimeUnixNano", span.get("start_time")))
    end = as_float(span.get("endTimeUnixNano", span.get("end_time")))
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
        time=parse_time(start),
    )


def from_otel(obj: Mapping[str, Any]) -> list[Call]:
    """Every GenAI call in an OTLP export line (see :mod:`.formats_otlp`), or the one span of a
    flat span line."""
    if is_otlp(obj):
        return from_otlp(obj)
    call = _one_span(obj)
    return [] if call is None else [call]


def from_litellm(obj: Mapping[str, Any]) -> Call | None:
    """A LiteLLM ``StandardLoggingPayload`` (custom callbacks, the logging proxies)."""
    text, turns = messages_text(_maybe_json(obj.get("messages")))
    if text is None:
        return None
    failed = obj.get("status") == "failure"
    info = _mapping(obj.get("error_information"))
    start, end = as_float(obj.get("startTime")), as_float(obj.get("endTime"))
    response = obj.get("response")
    model = response.get("model") if isinstance(response, dict) else None
    metadata = _mapping(obj.get("metadata"))
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=str(info.get("error_class") or info.get("error_code") or "failure")
        if failed
        else None,
        status=as_int(info.get("error_code")) if failed else 200,
        model=model or obj.get("model"),
        output_tokens=as_int(obj.get("completion_tokens")),
        latency_s=end - start if start is not None and end is not None else None,
        time=parse_time(obj.get("startTime")),
        feature=metadata.get("user_api_key_alias") or obj.get("model_group"),
    )


def from_langfuse(obj: Mapping[str, Any]) -> Call | None:
    """A Langfuse observation of type GENERATION (API or export); other types give None."""
    if str(obj.get("type", "")).upper() != "GENERATION":
        return None
    text, turns = messages_text(_maybe_json(obj.get("input")))
    if text is None:
        return None
    failed = str(obj.get("level", "")).upper() == "ERROR"
    usage = obj.get("usageDetails") or obj.get("usage") or {}
    start, end = parse_time(obj.get("startTime")), parse_time(obj.get("endTime"))
    return Call(
        text=text,
        turns=turns,
        outcome="error" if failed else "ok",
        error_type=str(obj.get("statusMessage") or "error") if failed else None,
        model=obj.get("model"),
        output_tokens=as_int(usage.get("output")) if isinstance(usage, dict) else None,
        latency_s=end - start if start is not None and end is not None else None,
        time=start,
        feature=obj.get("name"),
    )


def from_helicone(obj: Mapping[str, Any]) -> Call | None:
    """A Helicone request record (its request API / export: ``request_body``, ``response_status``)."""
    body = _maybe_json(obj.get("request_body"))
    if not isinstance(body, dict):
        return None
    text, turns = messages_text(body.get("messages", body.get("prompt")))
    if text is None:
        return None
    status = as_int(obj.get("response_status"))
    failed = status is None or status >= 400 or status <= 0
    response = _maybe_json(obj.get("response_body"))
    error = response.get("error") if isinstance(response, dict) else None
    properties = _mapping(obj.get("request_properties"))
    outcome, kind = ("error", None) if failed else ("ok", None)
    if "outcome" in properties:
        outcome, kind = classify_outcome(properties["outcome"])
    latency_ms = as_float(obj.get("delay_ms", obj.get("latency")))
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
        model=obj.get("response_model") or obj.get("model") or body.get("model"),
        output_tokens=as_int(obj.get("completion_tokens")),
        latency_s=None if latency_ms is None else latency_ms / 1000.0,
        time=parse_time(obj.get("request_created_at")),
        feature=properties.get("feature") or properties.get("Helicone-Property-Feature"),
    )
