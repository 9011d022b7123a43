"""Typed events the engine and workflows emit to observers.

Observers are plain callables taking one event. The CLI attaches a live display, tests attach
a recorder, and :class:`llmops.engine.sinks.JsonlSink` writes them as JSON lines whose field
names follow the OpenTelemetry GenAI semantic conventions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class InputProfile:
    """Shape of one call's input, emitted once per call before any attempt."""

    request_id: str
    feature: str
    chars: int
    words: int
    lines: int
    has_code: bool
    language: str | None
    normalized_changed: bool
    truncated: bool

    kind = "input_profile"

    def as_log(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "llmops.request_id": self.request_id,
            "llmops.feature": self.feature,
            "llmops.input.chars": self.chars,
            "llmops.input.words": self.words,
            "llmops.input.lines": self.lines,
            "llmops.input.has_code": self.has_code,
            "llmops.input.language": self.language,
            "llmops.input.normalized": self.normalized_changed,
            "llmops.input.truncated": self.truncated,
        }


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One upstream attempt, successful or not."""

    request_id: str
    feature: str
    provider: str
    attempt: int
    model_requested: str
    model_reported: str | None
    status: int | None
    error_type: str | None
    latency_s: float
    ttft_s: float | None
    input_tokens: int | None
    output_tokens: int | None
    retry_after_s: float | None
    #: the requests / tokens per minute the provider advertised in this attempt's headers
    limit_requests: int | None = None
    limit_tokens: int | None = None

    kind = "model_call"

    def as_log(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "llmops.request_id": self.request_id,
            "llmops.feature": self.feature,
            "gen_ai.system": self.provider,
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": self.model_requested,
            "gen_ai.response.model": self.model_reported,
            "gen_ai.usage.input_tokens": self.input_tokens,
            "gen_ai.usage.output_tokens": self.output_tokens,
            "http.response.status_code": self.status,
            "error.type": self.error_type,
            "llmops.attempt": self.attempt,
            "llmops.latency_s": round(self.latency_s, 6),
            "llmops.ttft_s": None if self.ttft_s is None else round(self.ttft_s, 6),
            "llmops.retry_after_s": self.retry_after_s,
        }


@dataclass(frozen=True, slots=True)
class CallFinished:
    """The outcome the caller saw: ``ok``, ``degraded:<strategy>`` or ``error``; or
    ``cancelled`` when the call was cancelled from outside before it ended (its caller left: a
    closed SDK stream or client, a cancelled task), with no ``error_type``.

    ``cause`` is the upstream failure behind a degraded answer or an error, in words.

    ``provider`` (the configured upstream's kind) and ``model`` (the model requested) name the
    call even when no attempt was made (circuit open, shed). ``input_messages`` and
    ``output_text`` are filled only for an observer that opted into message content
    (``wants_content = True``); they never reach the JSON-lines log.
    """

    request_id: str
    feature: str
    outcome: str
    error_type: str | None
    attempts: int
    latency_s: float
    queue_wait_s: float
    cause: str | None = None
    provider: str | None = None
    model: str | None = None
    input_messages: tuple[Mapping[str, Any], ...] | None = None
    output_text: str | None = None
    #: the route that answered (``provider/model``), and the tools the model asked to call
    route: str | None = None
    tool_calls: tuple[str, ...] = ()
    #: a stream's time to first token as its caller saw it: seconds from the call's start
    #: (queue, limiter and earlier attempts included) to the first output handed over
    ttft_s: float | None = None

    kind = "call_finished"

    def as_log(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "llmops.request_id": self.request_id,
            "llmops.feature": self.feature,
            "llmops.outcome": self.outcome,
            "error.type": self.error_type,
            "llmops.attempts": self.attempts,
            "llmops.latency_s": round(self.latency_s, 6),
            "llmops.queue_wait_s": round(self.queue_wait_s, 6),
            "llmops.cause": self.cause,
            "llmops.route": self.route,
            "llmops.tool_calls": list(self.tool_calls),
            "llmops.ttft_s": None if self.ttft_s is None else round(self.ttft_s, 6),
        }


@dataclass(frozen=True, slots=True)
class BreakerTransition:
    provider: str
    old: str
    new: str
    reason: str

    kind = "breaker_transition"

    def as_log(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "gen_ai.system": self.provider,
            "llmops.breaker.from": self.old,
            "llmops.breaker.to": self.new,
            "llmops.breaker.reason": self.reason,
        }


Event = InputProfile | ModelCall | CallFinished | BreakerTransition
Observer = Callable[[Event], None]
