"""Recognising a log record's format from its keys, and turning it into calls.

Formats (``--format`` names): ``llmops``, ``otel``, ``openai``, ``openai-batch``, ``anthropic``,
``litellm``, ``langfuse``, ``helicone``, ``structured``. Each is recognised per record from its
keys, so one file may mix formats (an OpenAI Batch input and output file read together, say);
``--format`` forces one. Samples of each live in ``scenarios/logs/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmops.workflows.profile.calls import Call
from llmops.workflows.profile.formats_api import (
    from_anthropic,
    from_openai,
    from_openai_batch,
    is_anthropic_record,
)
from llmops.workflows.profile.formats_native import (
    FailureRule,
    FieldMap,
    from_llmops,
    from_structured,
)
from llmops.workflows.profile.formats_otlp import from_otlp, is_otlp, record_calls
from llmops.workflows.profile.formats_platforms import (
    from_helicone,
    from_langfuse,
    from_litellm,
    from_otel,
    is_otel_span,
)

__all__ = ["FORMATS", "RecordReader", "calls_counted", "sniff"]

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

#: the formats whose record holds at most one call and needs no mapping
_SINGLE_CALL: dict[str, Callable[[dict[str, Any]], Call | None]] = {
    "llmops": from_llmops,
    "openai": from_openai,
    "openai-batch": from_openai_batch,
    "anthropic": from_anthropic,
    "litellm": from_litellm,
    "langfuse": from_langfuse,
    "helicone": from_helicone,
}


def sniff(obj: Mapping[str, Any]) -> str:
    """The format a record looks like; ``structured`` when nothing more specific matches."""
    if "llmops.request_id" in obj:
        return "llmops"
    if is_otlp(obj):
        return "otel"
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


@dataclass(frozen=True, slots=True)
class RecordReader:
    """Turns parsed records into calls: sniffs each record unless a format is forced."""

    forced: str | None = None
    fields: FieldMap = field(default_factory=lambda: FieldMap.parse([]))
    rule: FailureRule | None = None

    def calls(self, obj: Any) -> tuple[str, list[Call]]:
        """``(format name, calls)``; an empty list when the record holds no usable call."""
        if not isinstance(obj, dict):
            return "not-an-object", []
        fmt = self.forced or sniff(obj)
        if fmt == "otel":
            return fmt, from_otlp(obj) if is_otlp(obj) else from_otel(obj)
        parse = _SINGLE_CALL.get(fmt)
        call = parse(obj) if parse is not None else from_structured(obj, self.fields, self.rule)
        return fmt, [] if call is None else [call]


def calls_counted(fmt: str, obj: Any, calls: list[Call]) -> int:
    """What one record adds to its format's count: 1, or for an OTLP export line (a batch) the
    calls it holds (its spans; a line of log records adds prompts to them, not calls)."""
    if fmt == "otel" and isinstance(obj, dict) and is_otlp(obj):
        return record_calls(calls)
    return 1
