"""The dict-based readers the typed ones replaced, kept as the tests' reference.

Each format used to be read from an ``orjson`` dict with ``.get`` and ``isinstance`` checks. The
typed readers must give the same calls for every record; the tests compare both on the samples,
on hand-picked records and on hypothesis-generated ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from llmops.core.textprofile import TextProfile
from llmops.workflows.profile.calls import (
    Call,
    as_float,
    as_int,
    content_text,
    messages_text,
    parse_time,
)
from llmops.workflows.profile.formats_logs import (
    UNKNOWN,
    FailureRule,
    FieldMap,
    classify_outcome,
    from_structured,
)

_OK_FINISH = frozenset({"stop", "length", "tool_calls", "function_call", None})


def _envelope(obj: Mapping[str, Any], call: Call) -> None:
    call.status = as_int(obj.get("status", obj.get("status_code", obj.get("http_status"))))
    latency_ms = as_float(obj.get("latency_ms", obj.get("duration_ms")))
    call.latency_s = None if latency_ms is None else latency_ms / 1000.0
    call.time = parse_time(obj.get("timestamp", obj.get("time", obj.get("created_at"))))
    feature = obj.get("feature")
    call.feature = None if feature is None else str(feature)


def _openai_response(body: Any, call: Call) -> None:
    """Fill the outcome from a chat.completion body or an OpenAI error body."""
    if not isinstance(body, dict):
        call.outcome, call.error_type = "error", "no_response"
        return
    error = body.get("error")
    if isinstance(error, dict) or (call.status is not None and call.status >= 400):
        err = error if isinstance(error, dict) else {}
        call.outcome = "error"
        call.error_type = str(err.get("code") or err.get("type") or f"http_{call.status}")
        return
    call.model = body.get("model")
    usage = body.get("usage")
    if isinstance(usage, dict):
        call.output_tokens = as_int(usage.get("completion_tokens", usage.get("output_tokens")))
    choices = body.get("choices")
    finish = (
        choices[0].get("finish_reason")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict)
        else None
    )
    if finish is None or (isinstance(finish, str) and finish in _OK_FINISH):
        call.outcome = "ok"
    else:  # an unknown reason, or one of another type (a list is not even hashable)
        call.outcome, call.error_type = "error", str(finish)


def from_openai(obj: Mapping[str, Any]) -> Call | None:
    """An OpenAI chat request/response record; None when it has no request messages."""
    request = obj.get("request")
    if not isinstance(request, dict):
        return None
    text, turns = messages_text(request.get("messages", request.get("input")))
    if text is None:
        return None
    call = Call(text=text, turns=turns)
    _envelope(obj, call)
    top_error = obj.get("error")
    _openai_response(obj.get("response") if not top_error else {"error": top_error}, call)
    return call


def from_openai_batch(obj: Mapping[str, Any]) -> Call | None:
    """A Batch API input line (``body``) or output line (``response``), keyed by ``custom_id``."""
    custom_id = obj.get("custom_id")
    if custom_id is None:
        return None
    call = Call(join_key=f"batch:{custom_id}")
    body = obj.get("body")
    if isinstance(body, dict):  # an input-file line
        call.text, call.turns = messages_text(body.get("messages", body.get("input")))
        if call.text is None:
            return None
        return call
    response = obj.get("response")
    error = obj.get("error")
    if isinstance(error, dict) and not isinstance(response, dict):
        call.outcome, call.error_type = "error", str(error.get("code") or "batch_error")
        return call
    if not isinstance(response, dict):
        return None
    call.status = as_int(response.get("status_code"))
    _openai_response(response.get("body"), call)
    return call


def is_anthropic_record(obj: Mapping[str, Any]) -> bool:
    """Whether a request/response record is Anthropic-shaped (else OpenAI-shaped)."""
    response = obj.get("response")
    if isinstance(response, dict):
        return response.get("type") in ("message", "error")
    request = obj.get("request")
    return isinstance(request, dict) and "max_tokens" in request and "system" in request


def from_anthropic(obj: Mapping[str, Any]) -> Call | None:
    """An Anthropic Messages request/response record; None when it has no request messages."""
    request = obj.get("request")
    if not isinstance(request, dict):
        return None
    text, turns = messages_text(request.get("messages"))
    if text is None:
        return None
    call = Call(text=text, turns=turns)
    _envelope(obj, call)
    response = obj.get("response")
    if not isinstance(response, dict):
        error = obj.get("error")
        call.outcome = "error"
        call.error_type = str(error.get("type")) if isinstance(error, dict) else "no_response"
        return call
    if response.get("type") == "error":
        error = response.get("error")
        call.outcome = "error"
        call.error_type = str(error.get("type") if isinstance(error, dict) else "error")
        return call
    call.model = response.get("model")
    usage = response.get("usage")
    if isinstance(usage, dict):
        call.output_tokens = as_int(usage.get("output_tokens"))
    stop = response.get("stop_reason")
    if stop in (None, "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn"):
        call.outcome = "ok"
    else:
        call.outcome, call.error_type = "error", str(stop)
    if not content_text(response.get("content")) and stop != "tool_use":
        call.outcome, call.error_type = "error", "empty_response"
    return call


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
        return {
            a["key"]: _otlp_value(a.get("value")) for a in raw if isinstance(a, dict) and "key" in a
        }
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
    if "resourceSpans" in obj:
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
    """Every GenAI span in an OTLP export line, or the one span of a flat span line."""
    if "resourceSpans" not in obj:
        call = _one_span(obj)
        return [] if call is None else [call]
    calls: list[Call] = []
    for resource in obj.get("resourceSpans") or []:
        for scope in (resource or {}).get("scopeSpans") or []:
            for span in (scope or {}).get("spans") or []:
                if isinstance(span, dict) and (call := _one_span(span)) is not None:
                    calls.append(call)
    return calls


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


def _finished(obj: Mapping[str, Any], call: Call) -> None:
    raw = str(obj.get("llmops.outcome") or "error")
    error_type = obj.get("error.type")
    if raw == "ok":
        call.outcome = "ok"
    elif raw.startswith("degraded"):
        call.outcome = "degraded"
        call.fallback = raw.partition(":")[2] or "unknown"
    elif error_type == "validation_failed":
        call.outcome = "validation_failed"
    else:
        call.outcome = "error"
    call.error_type = None if error_type is None else str(error_type)
    call.retried = (as_int(obj.get("llmops.attempts")) or 1) > 1
    call.latency_s = as_float(obj.get("llmops.latency_s"))


def from_llmops(obj: Mapping[str, Any]) -> Call | None:
    """One llmops event as a partial :class:`Call` keyed by request id; None for other events."""
    kind = obj.get("event")
    request_id = obj.get("llmops.request_id")
    if request_id is None or (kind == "call_finished" and obj.get("llmops.outcome") == "cancelled"):
        return None
    call = Call(join_key=str(request_id), time=parse_time(obj.get("time")))
    feature = obj.get("llmops.feature")
    call.feature = None if feature is None else str(feature)
    if kind == "input_profile":
        chars = as_int(obj.get("llmops.input.chars")) or 0
        call.profile = TextProfile(
            chars=chars,
            words=as_int(obj.get("llmops.input.words")) or 0,
            lines=as_int(obj.get("llmops.input.lines")) or 0,
            token_estimate=(chars + 3) // 4,
            has_code=bool(obj.get("llmops.input.has_code")),
            language=obj.get("llmops.input.language"),
            non_ascii_share=float(UNKNOWN),
            informal_markers=UNKNOWN,
        )
    elif kind == "model_call":
        call.model = obj.get("gen_ai.response.model") or None
        call.output_tokens = as_int(obj.get("gen_ai.usage.output_tokens"))
        call.status = as_int(obj.get("http.response.status_code"))
        call.retried = (as_int(obj.get("llmops.attempt")) or 1) > 1
    elif kind == "call_finished":
        _finished(obj, call)
    else:
        return None
    return call


def sniff(obj: Mapping[str, Any]) -> str:
    """The format a record looks like; ``structured`` when nothing more specific matches."""
    if "llmops.request_id" in obj:
        return "llmops"
    if "custom_id" in obj and ("body" in obj or "response" in obj or "error" in obj):
        return "openai-batch"
    request = obj.get("request")
    if isinstance(request, dict) and "messages" in request:
        return "anthropic" if is_anthropic_record(obj) else "openai"
    if "call_type" in obj and "status" in obj:
        return "litellm"
    if "request_body" in obj or "response_status" in obj:
        return "helicone"
    if ("traceId" in obj or "trace_id" in obj) and "type" in obj and "input" in obj:
        return "langfuse"
    if is_otel_span(obj):
        return "otel"
    return "structured"


_SINGLE_CALL: dict[str, Callable[[dict[str, Any]], Call | None]] = {
    "llmops": from_llmops,
    "openai": from_openai,
    "openai-batch": from_openai_batch,
    "anthropic": from_anthropic,
    "litellm": from_litellm,
    "langfuse": from_langfuse,
    "helicone": from_helicone,
}


def reference_calls(
    line: bytes,
    forced: str | None = None,
    fields: FieldMap | None = None,
    rule: FailureRule | None = None,
) -> tuple[str, list[Call]]:
    """``(format, calls)`` of one JSON line, read the dict-based way."""
    obj = orjson.loads(line)
    if not isinstance(obj, dict):
        return "not-an-object", []
    fmt = forced or sniff(obj)
    if fmt == "otel":
        return fmt, from_otel(obj)
    parse = _SINGLE_CALL.get(fmt)
    fields = fields or FieldMap.parse([])
    call = parse(obj) if parse is not None else from_structured(obj, fields, rule)
    return fmt, [] if call is None else [call]
