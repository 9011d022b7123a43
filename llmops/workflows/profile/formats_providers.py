"""Provider wire records: OpenAI chat request/response, OpenAI Batch lines, Anthropic Messages.

A *request/response record* is one JSON line holding the request body under ``request`` and the
response body under ``response`` (or an error body under ``error`` / ``response.error``), with
optional ``status`` (HTTP), ``latency_ms`` and ``timestamp`` beside them: what most proxies and
SDK logging hooks write. OpenAI Batch output lines carry no input, so a Batch *input* file is read
alongside and joined on ``custom_id``.

Each format is decoded straight from the line's bytes into the structs below: only the fields
read here become Python objects, every other key is skipped by msgspec.
"""

from __future__ import annotations

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
    content_text,
    present,
    user_text,
)

__all__ = [
    "BatchRecord",
    "ChatRecord",
    "Request",
    "chat_format",
    "from_anthropic",
    "from_openai",
    "from_openai_batch",
    "is_anthropic_record",
]

_OK_FINISH = frozenset({"stop", "length", "tool_calls", "function_call", None})
_ANTHROPIC_OK = frozenset(
    {None, "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn"}
)


class Request(msgspec.Struct):
    """A chat request body (OpenAI or Anthropic)."""

    messages: Messages = UNSET
    input: Messages = UNSET
    max_tokens: Any = UNSET
    system: Any = UNSET


class _ErrorBody(msgspec.Struct):
    code: Any = None
    type: Any = None


class _Usage(msgspec.Struct):
    completion_tokens: Any = UNSET
    output_tokens: Any = UNSET


class _Choice(msgspec.Struct):
    finish_reason: Any = None


class Response(msgspec.Struct):
    """A chat.completion, Anthropic message, or error body."""

    error: _ErrorBody | Scalar | list[Any] = None
    model: Any = None
    usage: _Usage | Scalar | list[Any] = None
    choices: list[_Choice | Scalar | list[Any]] | Scalar | dict[str, Any] = None
    type: Any = None
    stop_reason: Any = None
    content: Any = None


class ChatRecord(msgspec.Struct):
    """A request/response record of OpenAI's or Anthropic's chat API.

    It also holds the keys that would make the line another format by the sniffing rules
    (:func:`chat_format`), so a log of chat records is read in one typed pass.
    """

    request: Request | Scalar | list[Any] = None
    response: Response | Scalar | list[Any] = UNSET
    error: Any = UNSET
    request_id: msgspec.Raw = msgspec.field(default=UNSET, name="llmops.request_id")
    custom_id: msgspec.Raw = UNSET
    body: msgspec.Raw = UNSET
    status: Any = UNSET
    status_code: Any = UNSET
    http_status: Any = UNSET
    latency_ms: Any = UNSET
    duration_ms: Any = UNSET
    timestamp: Any = UNSET
    time: Any = UNSET
    created_at: Any = UNSET
    feature: Any = None


class _BatchResponse(msgspec.Struct):
    status_code: Any = None
    body: Response | Scalar | list[Any] = None


class BatchRecord(msgspec.Struct):
    """An OpenAI Batch API input line (``body``) or output line (``response``)."""

    custom_id: Any = None
    body: Request | Scalar | list[Any] = None
    response: _BatchResponse | Scalar | list[Any] = None
    error: _ErrorBody | Scalar | list[Any] = None


def _envelope(rec: ChatRecord, call: Call) -> None:
    status = rec.status
    if status is UNSET:
        status = present(rec.status_code, rec.http_status)
    call.status = status if type(status) is int else as_int(status)
    latency_ms = rec.latency_ms
    if latency_ms is UNSET:
        latency_ms = None if rec.duration_ms is UNSET else rec.duration_ms
    if type(latency_ms) is not float:
        latency_ms = as_float(latency_ms)
    call.latency_s = None if latency_ms is None else latency_ms / 1000.0
    stamp = rec.timestamp
    if stamp is UNSET:
        stamp = present(rec.time, rec.created_at)
    call.time = cached_time(stamp)
    feature = rec.feature
    call.feature = None if feature is None else str(feature)


def _failed(code: Any, kind: Any, status: int | None) -> str:
    return str(code or kind or f"http_{status}")


def _openai_response(body: Any, call: Call) -> None:
    """Fill the outcome from a chat.completion body or an OpenAI error body."""
    if type(body) is not Response:
        call.outcome, call.error_type = "error", "no_response"
        return
    error = body.error
    if type(error) is _ErrorBody or (call.status is not None and call.status >= 400):
        call.outcome = "error"
        if type(error) is _ErrorBody:
            call.error_type = _failed(error.code, error.type, call.status)
        else:
            call.error_type = f"http_{call.status}"
        return
    call.model = body.model
    usage = body.usage
    if type(usage) is _Usage:
        call.output_tokens = as_int(present(usage.completion_tokens, usage.output_tokens))
    choices = body.choices
    finish = (
        choices[0].finish_reason
        if type(choices) is list and choices and type(choices[0]) is _Choice
        else None
    )
    if finish is None or (isinstance(finish, str) and finish in _OK_FINISH):
        call.outcome = "ok"
    else:  # an unknown reason, or one of another type (a list is not even hashable)
        call.outcome, call.error_type = "error", str(finish)


def from_openai(rec: ChatRecord) -> Call | None:
    """An OpenAI chat request/response record; None when it has no request messages."""
    request = rec.request
    if type(request) is not Request:
        return None
    text, turns = user_text(request.messages if request.messages is not UNSET else request.input)
    if text is None:
        return None
    call = Call(text=text, turns=turns)
    _envelope(rec, call)
    error = rec.error
    if not error:
        _openai_response(rec.response, call)
    elif isinstance(error, dict) or (call.status is not None and call.status >= 400):
        call.outcome = "error"
        err = error if isinstance(error, dict) else {}
        call.error_type = _failed(err.get("code"), err.get("type"), call.status)
    else:  # a top-level error that is neither an object nor backed by an HTTP error status
        call.outcome = "ok"
    return call


def from_openai_batch(rec: BatchRecord) -> Call | None:
    """A Batch API input line (``body``) or output line (``response``), keyed by ``custom_id``."""
    if rec.custom_id is None:
        return None
    call = Call(join_key=f"batch:{rec.custom_id}")
    body = rec.body
    if type(body) is Request:  # an input-file line
        call.text, call.turns = user_text(
            body.messages if body.messages is not UNSET else body.input
        )
        if call.text is None:
            return None
        return call
    response = rec.response
    error = rec.error
    if type(error) is _ErrorBody and type(response) is not _BatchResponse:
        call.outcome, call.error_type = "error", str(error.code or "batch_error")
        return call
    if type(response) is not _BatchResponse:
        return None
    call.status = as_int(response.status_code)
    _openai_response(response.body, call)
    return call


def is_anthropic_record(request: Any, response: Any) -> bool:
    """Whether a request/response record is Anthropic-shaped (else OpenAI-shaped), from its
    ``request`` and ``response`` (both as decoded into :class:`Request` and :class:`Response`)."""
    if type(response) is Response:
        return response.type in ("message", "error")
    return (
        type(request) is Request and request.max_tokens is not UNSET and request.system is not UNSET
    )


def chat_format(rec: ChatRecord) -> str | None:
    """``"openai"`` or ``"anthropic"`` when the sniffing rules of
    :func:`~llmops.workflows.profile.formats.sniff` give the record that format, else None."""
    if rec.request_id is not UNSET or (
        rec.custom_id is not UNSET
        and (rec.body is not UNSET or rec.response is not UNSET or rec.error is not UNSET)
    ):
        return None
    request = rec.request
    if type(request) is not Request or request.messages is UNSET:
        return None
    return "anthropic" if is_anthropic_record(request, rec.response) else "openai"


def from_anthropic(rec: ChatRecord) -> Call | None:
    """An Anthropic Messages request/response record; None when it has no request messages."""
    request = rec.request
    if type(request) is not Request:
        return None
    text, turns = user_text(None if request.messages is UNSET else request.messages)
    if text is None:
        return None
    call = Call(text=text, turns=turns)
    _envelope(rec, call)
    response = rec.response
    if type(response) is not Response:
        error = rec.error
        call.outcome = "error"
        call.error_type = str(error.get("type")) if isinstance(error, dict) else "no_response"
        return call
    if response.type == "error":
        error = response.error
        call.outcome = "error"
        call.error_type = str(error.type if type(error) is _ErrorBody else "error")
        return call
    call.model = response.model
    usage = response.usage
    if type(usage) is _Usage:
        call.output_tokens = as_int(None if usage.output_tokens is UNSET else usage.output_tokens)
    stop = response.stop_reason
    if isinstance(stop, list | dict) or stop not in _ANTHROPIC_OK:
        call.outcome, call.error_type = "error", str(stop)
    else:
        call.outcome = "ok"
    if not content_text(response.content) and stop != "tool_use":
        call.outcome, call.error_type = "error", "empty_response"
    return call
