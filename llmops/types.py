"""Plain data passed between the engine, providers, the mock and the workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class LLMRequest:
    """One chat request, independent of provider wire format.

    ``messages`` are ``{"role": ..., "content": ...}`` dicts, content being text or content
    parts (text and images, converted to the provider's form); a leading system message is
    moved to Anthropic's ``system`` field by that provider. ``extra`` is merged into the body
    as is: ``tools``, ``tool_choice``, ``response_format``, ``top_p``, ``stop``, ``seed``...
    """

    model: str
    messages: Sequence[Mapping[str, Any]]
    max_tokens: int = 256
    temperature: float | None = None
    stream: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the caller's own body in this provider's wire format (the SDK drop-in): sent as is with
    #: ``model`` and the stream flag set, and the raw answer kept in ``LLMResponse.raw_body``;
    #: ``messages`` are then only what the engine counts, profiles and records
    wire_body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool the model asked to call: ``arguments`` is the JSON text of its input."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What the provider's rate-limit headers said; ``None`` where a header was absent.

    Reset values are seconds from the moment the response arrived.
    """

    requests_limit: int | None = None
    requests_remaining: int | None = None
    requests_reset_s: float | None = None
    tokens_limit: int | None = None
    tokens_remaining: int | None = None
    tokens_reset_s: float | None = None


@dataclass(slots=True)
class LLMResponse:
    """A successful answer. Stream timings are seconds since the request was sent."""

    text: str
    model: str
    usage: Usage | None = None
    finish_reason: str | None = None
    system_fingerprint: str | None = None
    response_id: str | None = None
    rate_limits: RateLimitInfo | None = None
    ttft_s: float | None = None
    chunk_times_s: list[float] = field(default_factory=list)
    #: the body as received (the SSE bytes of a stream), kept only for a ``wire_body`` request
    raw_body: bytes | None = None
    #: the tools the model asked to call (both wire formats, streamed or not)
    tool_calls: list[ToolCall] = field(default_factory=list)
