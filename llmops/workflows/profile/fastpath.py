"""A typed fast path for the commonest log shape: OpenAI chat request/response records.

:func:`openai_call` decodes a raw line straight into the few fields that
:func:`~llmops.workflows.profile.formats_api.from_openai` reads, with :mod:`msgspec` structs (every
other key is skipped without building Python objects), and builds the same :class:`Call`. It
answers ``None`` whenever the line is anything but a plainly shaped OpenAI record: not JSON, not
valid UTF-8, another format by the sniffing rules of
:func:`~llmops.workflows.profile.formats.sniff`, an unusual type anywhere it looks, or an integer
too large for orjson to keep as an integer. The caller then takes the generic path (orjson, sniff,
extract), so every record is read exactly as before, only faster.

One difference is left, for inputs no JSON writer produces: a number that overflows a double
(``1e400``) in a key this path skips is accepted here, where orjson rejects the whole line.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmops.workflows.profile.calls import Call, as_float, as_int, content_text, parse_time

__all__ = ["openai_call"]

_UNSET: Any = msgspec.UNSET
#: finish reasons of an answered call (as in ``formats_api``)
_OK_FINISH = frozenset({"stop", "length", "tool_calls", "function_call", None})
#: orjson keeps integers in [-2**63, 2**64) and turns larger ones into floats
_INT_MIN, _INT_END = -(2**63), 2**64


class _Message(msgspec.Struct):
    role: Any = None
    content: Any = _UNSET
    parts: Any = _UNSET


class _Request(msgspec.Struct):
    messages: list[_Message] | msgspec.UnsetType = msgspec.UNSET
    max_tokens: Any = _UNSET
    system: Any = _UNSET


class _Error(msgspec.Struct):
    code: Any = None
    type: Any = None


class _Choice(msgspec.Struct):
    finish_reason: str | None = None


class _Usage(msgspec.Struct):
    completion_tokens: Any = _UNSET
    output_tokens: Any = _UNSET


class _Response(msgspec.Struct):
    error: _Error | None = None
    model: Any = None
    usage: _Usage | None = None
    choices: list[_Choice] | None = None
    type: Any = None


class _Record(msgspec.Struct):
    request: _Request | None = None
    response: _Response | None = None
    error: Any = None
    status: Any = _UNSET
    status_code: Any = _UNSET
    http_status: Any = _UNSET
    latency_ms: Any = _UNSET
    duration_ms: Any = _UNSET
    timestamp: Any = _UNSET
    time: Any = _UNSET
    created_at: Any = _UNSET
    feature: Any = None
    custom_id: Any = _UNSET
    request_id: Any = msgspec.field(default=_UNSET, name="llmops.request_id")


_decode = msgspec.json.Decoder(_Record).decode


class _Unusual(Exception):
    """Raised inside the fast path when the generic path must decide."""


def _first(*values: Any) -> Any:
    """``obj.get(a, obj.get(b, ...))``: the first value whose key was present, else None."""
    for value in values:
        if value is not _UNSET:
            return _plain(value)
    return None


def _plain(value: Any) -> Any:
    if type(value) is int and not _INT_MIN <= value < _INT_END:
        raise _Unusual  # orjson would have made it a float
    return value


def _scalar(value: Any) -> Any:
    """A value that is turned into text: a string, number, bool or None, else decline."""
    if isinstance(value, list | dict):
        raise _Unusual
    return _plain(value)


def openai_call(raw: bytes, sniffing: bool = True) -> Call | None:
    """The :class:`Call` of an OpenAI request/response line, or ``None`` to take the generic path.

    With ``sniffing`` (no ``--format``) a line that :func:`sniff` would not call ``openai`` is
    left to the generic path; without it the line is read as OpenAI, as ``--format openai`` does.
    """
    if not raw.isascii():
        try:
            raw.decode("utf-8")  # msgspec does not check the strings of skipped keys
        except UnicodeDecodeError:
            return None
    try:
        rec = _decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    request = rec.request
    if request is None or request.messages is _UNSET or rec.error:
        return None
    response = rec.response
    if sniffing and (
        rec.request_id is not _UNSET
        or rec.custom_id is not _UNSET
        or (
            response.type in ("message", "error")
            if response is not None
            else request.max_tokens is not _UNSET and request.system is not _UNSET
        )
    ):
        return None
    try:
        return _build(rec, request, response)
    except _Unusual:
        return None


def _build(rec: _Record, request: _Request, response: _Response | None) -> Call | None:
    text: str | None = None
    turns = 0
    assert not isinstance(request.messages, msgspec.UnsetType)
    for message in request.messages:
        if message.role == "user":
            turns += 1
            content = message.content if message.content is not _UNSET else message.parts
            text = content_text(None if content is _UNSET else content)
    if text is None:
        return None
    status = as_int(_first(rec.status, rec.status_code, rec.http_status))
    latency_ms = as_float(_first(rec.latency_ms, rec.duration_ms))
    feature = _scalar(rec.feature)
    call = Call(
        text=text,
        turns=turns,
        status=status,
        latency_s=None if latency_ms is None else latency_ms / 1000.0,
        time=parse_time(_first(rec.timestamp, rec.time, rec.created_at)),
        feature=None if feature is None else str(feature),
    )
    if response is None:
        call.outcome, call.error_type = "error", "no_response"
        return call
    error = response.error
    if error is not None or (status is not None and status >= 400):
        call.outcome = "error"
        code = None if error is None else _scalar(error.code) or _scalar(error.type)
        call.error_type = str(code or f"http_{status}")
        return call
    call.model = _scalar(response.model)
    usage = response.usage
    if usage is not None:
        call.output_tokens = as_int(_first(usage.completion_tokens, usage.output_tokens))
    choices = response.choices
    finish = choices[0].finish_reason if choices else None
    if finish in _OK_FINISH:
        call.outcome = "ok"
    else:
        call.outcome, call.error_type = "error", str(finish)
    return call
