"""Recognising a log line's format from its keys, and reading it into calls: one reader a format.

Formats (``--format`` names): ``llmops``, ``otel``, ``openai``, ``openai-batch``, ``anthropic``,
``litellm``, ``langfuse``, ``helicone``, ``structured``. Each is recognised per record from its
keys, so one file may mix formats (an OpenAI Batch input and output file read together, say);
``--format`` forces one. Samples of each live in ``scenarios/logs/``.

A line is read in two typed passes, both :class:`msgspec.json.Decoder` over the raw bytes: the
keys that tell the formats apart (:class:`Keys`, values kept as raw slices, not decoded), then
the format's own struct, which decodes only the fields its reader uses. With ``--format`` the
first pass is skipped. A field of an unexpected type never makes a record unreadable: every
struct field accepts any JSON value (see :mod:`~llmops.workflows.profile.calls`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from llmops.workflows.profile.calls import UNSET, Call, Scalar
from llmops.workflows.profile.formats_logs import (
    FailureRule,
    FieldMap,
    LlmopsEvent,
    from_llmops,
    from_structured,
)
from llmops.workflows.profile.formats_otlp import (
    Export,
    decode_export,
    from_otlp,
    is_otlp,
    record_calls,
)
from llmops.workflows.profile.formats_platforms import (
    HeliconeRecord,
    LangfuseRecord,
    LitellmRecord,
    OtelRecord,
    from_helicone,
    from_langfuse,
    from_litellm,
    from_otel,
)
from llmops.workflows.profile.formats_providers import (
    BatchRecord,
    ChatRecord,
    chat_format,
    from_anthropic,
    from_openai,
    from_openai_batch,
)

__all__ = ["FORMATS", "NOT_AN_OBJECT", "Keys", "RecordReader", "calls_counted", "sniff"]

FORMATS = (
    "llmops",
    "otel",
    "openai",
    "openai-batch",
    "anthropic",
    "litellm",
    "langfuse",
    "helicone",
    "structured",
)
#: the format name counted for a line that is JSON but not an object
NOT_AN_OBJECT = "not-an-object"

Raw = msgspec.Raw


class _RequestKeys(msgspec.Struct):
    messages: Raw = UNSET
    max_tokens: Raw = UNSET
    system: Raw = UNSET


class _ResponseKeys(msgspec.Struct):
    type: Any = None


class _AttributeKey(msgspec.Struct):
    key: Any = ""


class Keys(msgspec.Struct):
    """The keys that tell the formats apart; values stay raw JSON, never decoded."""

    request_id: Raw = msgspec.field(default=UNSET, name="llmops.request_id")
    custom_id: Raw = UNSET
    body: Raw = UNSET
    error: Raw = UNSET
    request: _RequestKeys | Scalar | list[Raw] = UNSET
    response: _ResponseKeys | Scalar | list[Raw] = UNSET
    call_type: Raw = UNSET
    status: Raw = UNSET
    request_body: Raw = UNSET
    response_status: Raw = UNSET
    traceId: Raw = UNSET
    trace_id: Raw = UNSET
    type: Raw = UNSET
    input: Raw = UNSET
    resourceSpans: Raw = UNSET
    resourceLogs: Raw = UNSET
    attributes: dict[str, Raw] | list[_AttributeKey | Scalar | list[Raw]] | Scalar = None


def _is_otel_span(keys: Keys) -> bool:
    """Whether the line is an OTLP export or a span carrying ``gen_ai.*`` attributes."""
    if keys.resourceSpans is not UNSET or keys.resourceLogs is not UNSET:
        return True
    attrs = keys.attributes
    if isinstance(attrs, dict):
        return any(k.startswith("gen_ai.") for k in attrs)
    return isinstance(attrs, list) and any(
        type(a) is _AttributeKey and str(a.key).startswith("gen_ai.") for a in attrs
    )


def sniff(keys: Keys) -> str:
    """The format a record looks like; ``structured`` when nothing more specific matches."""
    if keys.request_id is not UNSET:
        return "llmops"
    if keys.custom_id is not UNSET and (
        keys.body is not UNSET or keys.response is not UNSET or keys.error is not UNSET
    ):
        return "openai-batch"
    request, response = keys.request, keys.response
    if type(request) is _RequestKeys and request.messages is not UNSET:
        if type(response) is _ResponseKeys:
            anthropic = response.type in ("message", "error")
        else:
            anthropic = request.max_tokens is not UNSET and request.system is not UNSET
        return "anthropic" if anthropic else "openai"
    if keys.call_type is not UNSET and keys.status is not UNSET:
        return "litellm"
    if keys.request_body is not UNSET or keys.response_status is not UNSET:
        return "helicone"
    if (
        (keys.traceId is not UNSET or keys.trace_id is not UNSET)
        and keys.type is not UNSET
        and keys.input is not UNSET
    ):
        return "langfuse"
    if _is_otel_span(keys):
        return "otel"
    return "structured"


def _one(read: Callable[[Any], Call | None]) -> Callable[[Any], list[Call]]:
    def calls(record: Any) -> list[Call]:
        call = read(record)
        return [] if call is None else [call]

    return calls


_decode_flat_span = msgspec.json.Decoder(OtelRecord).decode


def _decode_otel(raw: bytes) -> Export | OtelRecord:
    """An OTLP export line (traces or logs), else one flat span."""
    export = decode_export(raw)
    return export if is_otlp(export) else _decode_flat_span(raw)


def _read_otel(record: Export | OtelRecord) -> list[Call]:
    return from_otlp(record) if isinstance(record, Export) else from_otel(record)


def calls_counted(fmt: str, calls: list[Call]) -> int:
    """What one line adds to its format's count: 1, or for OpenTelemetry the calls it holds (an
    OTLP export line is a batch of spans; a line of log records adds prompts to them, not
    calls)."""
    return record_calls(calls) if fmt == "otel" else 1


Decode = Callable[[bytes], Any]
#: per format: the decoder of its struct, and its reader
_READERS: dict[str, tuple[Decode, Callable[[Any], list[Call]]]] = {
    "llmops": (msgspec.json.Decoder(LlmopsEvent).decode, _one(from_llmops)),
    "otel": (_decode_otel, _read_otel),
    "openai": (msgspec.json.Decoder(ChatRecord).decode, _one(from_openai)),
    "openai-batch": (msgspec.json.Decoder(BatchRecord).decode, _one(from_openai_batch)),
    "anthropic": (msgspec.json.Decoder(ChatRecord).decode, _one(from_anthropic)),
    "litellm": (msgspec.json.Decoder(LitellmRecord).decode, _one(from_litellm)),
    "langfuse": (msgspec.json.Decoder(LangfuseRecord).decode, _one(from_langfuse)),
    "helicone": (msgspec.json.Decoder(HeliconeRecord).decode, _one(from_helicone)),
}
_decode_keys = msgspec.json.Decoder(Keys).decode
_decode_chat = _READERS["openai"][0]
_decode_object = msgspec.json.Decoder(dict[str, Any]).decode
_decode_any = msgspec.json.decode


@dataclass(frozen=True, slots=True)
class RecordReader:
    """Reads log lines into calls: sniffs each record's format unless one is forced."""

    forced: str | None = None
    fields: FieldMap = field(default_factory=lambda: FieldMap.parse([]))
    rule: FailureRule | None = None

    def read(self, raw: bytes, chat_first: bool = False) -> tuple[str, list[Call]]:
        """``(format name, calls)`` of one line; an empty list when it holds no usable call.

        With ``chat_first`` (the previous line was an OpenAI or Anthropic chat record) the line
        is first decoded as a :class:`ChatRecord`, which can tell itself whether it is one: a log
        of chat records is read in one typed pass. Raises :class:`msgspec.DecodeError` (or
        :class:`msgspec.ValidationError`, for a number out of range) when the line is not JSON.
        """
        if not raw.startswith(b"{") and not raw.lstrip().startswith(b"{"):
            _decode_any(raw)  # raises unless the line is JSON
            return NOT_AN_OBJECT, []
        if chat_first and self.forced is None:
            try:
                chat = _decode_chat(raw)
            except msgspec.ValidationError:
                pass
            else:
                fmt = chat_format(chat)
                if fmt is not None:
                    call = from_openai(chat) if fmt == "openai" else from_anthropic(chat)
                    return fmt, [] if call is None else [call]
        fmt = self.forced or sniff(_decode_keys(raw))
        reader = _READERS.get(fmt)
        if reader is None:
            obj = _decode_object(raw)
            call = from_structured(obj, self.fields, self.rule)
            return fmt, [] if call is None else [call]
        decode, read = reader
        try:
            record = decode(raw)
        except msgspec.ValidationError:
            _decode_any(raw)  # a number out of range in any key: not JSON, as orjson says
            return fmt, []
        return fmt, read(record)
