"""Provider wire records: OpenAI chat request/response, OpenAI Batch lines, Anthropic Messages.

A *request/response record* is one JSON line holding the request body under ``request`` and the
response body under ``response`` (or an error body under ``error`` / ``response.error``), with
optional ``status`` (HTTP), ``latency_ms`` and ``timestamp`` beside them: what most proxies and
SDK logging hooks write. OpenAI Batch output lines carry no input, so a Batch *input* file is read
alongside and joined on ``custom_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops.workflows.profile.calls import (
    Call,
    as_float,
    as_int,
    content_text,
    messages_text,
    parse_time,
)

__all__ = ["from_anthropic", "from_openai", "from_openai_batch", "is_anthropic_record"]

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
