"""OpenTelemetry spans and metrics for every engine call, per the GenAI semantic conventions.

Attach it by configuration (``telemetry: {opentelemetry: true}`` in ``llmops.yaml``) or by hand::

    from llmops.telemetry.otel import OtelObserver
    engine = Engine(config, observers=[OtelObserver()])

It records to the application's own OpenTelemetry set-up (the global tracer and meter
providers, or the ones passed in). Each call becomes a ``chat {model}`` CLIENT span, a child of
whatever span is current where :meth:`Engine.call` runs, with the GenAI attributes
(``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
``gen_ai.response.model``, ``gen_ai.usage.input_tokens`` / ``output_tokens``, ``error.type``)
and the engine's (``llmops.feature``, ``llmops.outcome``, ``llmops.fallback``, ``llmops.attempts``).
Each attempt is a child span ``attempt {n}`` with its HTTP status, error type and the
``Retry-After`` the server sent. The spans are built when the call finishes, from the engine's
events, with their measured start and end times: nothing is added to the call's hot path.

Message content (prompts and answers) is recorded only when asked for: ``capture_content=True``
or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``, as ``gen_ai.input.messages`` /
``gen_ai.output.messages`` (JSON) on the call span.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from llmops.content import content_text
from llmops.engine.clock import wall_time
from llmops.engine.events import BreakerTransition, CallFinished, Event, ModelCall
from llmops.telemetry.metrics import BREAKER_STATES, EngineInstruments

__all__ = ["OtelObserver"]

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_log = logging.getLogger("llmops.telemetry")
_SCOPE = "llmops"
_Attrs = dict[str, Any]


class OtelObserver:
    """An engine observer that turns its events into OpenTelemetry spans and metrics.

    ``now`` is the engine's clock (seconds, monotonic or virtual; the engine passes its own, the
    default is the event loop's, what the engine reads unless given another clock):
    span times are Unix time at the first event plus that clock's progress since, so the spans
    of a run on virtual time line up with its waits. ``per_call=False``
    is for an engine built with ``call_events=False`` (each attempt is then its own
    ``chat {model}`` span, there being no call to hang it under).
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool | None = None,
        now: Callable[[], float] | None = None,
        per_call: bool = True,
        max_pending: int = 10_000,
    ) -> None:
        self.tracer = trace.get_tracer(_SCOPE, _version(), tracer_provider)
        meter = metrics.get_meter(_SCOPE, _version(), meter_provider)
        self.instruments = EngineInstruments.create(meter)
        if capture_content is None:
            capture_content = os.environ.get(CONTENT_ENV, "").strip().lower() in ("true", "1")
        #: read by the engine: fill ``CallFinished.input_messages`` / ``output_text``
        self.wants_content = capture_content
        self._now = now or anyio.current_time
        self._anchor: tuple[float, int] | None = None  # (clock reading, Unix ns) at first use
        self._per_call = per_call
        self._max_pending = max_pending
        self._pending: dict[str, list[tuple[ModelCall, int]]] = {}

    def __call__(self, event: Event) -> None:
        """Record one engine event. Telemetry never fails a call: an error here is logged."""
        try:
            if isinstance(event, ModelCall):
                self._attempt(event)
            elif isinstance(event, CallFinished):
                self._call(event)
            elif isinstance(event, BreakerTransition):
                self._breaker(event)
        except Exception:
            _log.exception("llmops telemetry: could not record a %s event", event.kind)

    # -- events ------------------------------------------------------------------------------

    def _attempt(self, ev: ModelCall) -> None:
        m = self.instruments
        base = _genai(ev.provider, ev.model_requested, ev.feature)
        timed = {**base, **_some({"gen_ai.response.model": ev.model_reported})}
        if ev.error_type is not None:
            timed["error.type"] = ev.error_type
        m.duration.record(ev.latency_s, timed)
        for kind, count in (("input", ev.input_tokens), ("output", ev.output_tokens)):
            if count is not None:
                m.tokens.record(count, {**timed, "gen_ai.token.type": kind})
        status = {"http.response.status_code": ev.status} if ev.status is not None else {}
        m.attempts.add(1, {**base, **status, **_some({"error.type": ev.error_type})})
        if ev.attempt > 1:
            m.retries.add(1, base)
        if ev.model_reported is not None:
            m.model_responses.add(1, {**base, "gen_ai.response.model": ev.model_reported})
        end = self._now_ns()
        if not self._per_call:
            self._attempt_span(ev, end, None, standalone=True)
            return
        self._pending.setdefault(ev.request_id, []).append((ev, end))
        while len(self._pending) > self._max_pending:  # calls that never finished
            for old, old_end in self._pending.pop(next(iter(self._pending))):
                self._attempt_span(old, old_end, None, standalone=True)

    def _call(self, ev: CallFinished) -> None:
        m = self.instruments
        attempts = self._pending.pop(ev.request_id, [])
        first = attempts[0][0] if attempts else None
        provider = ev.provider or (first.provider if first else "unknown")
        model = ev.model or (first.model_requested if first else "unknown")
        base = _genai(provider, model, ev.feature)
        m.calls.add(
            1, {**base, "llmops.outcome": ev.outcome, **_some({"error.type": ev.error_type})}
        )
        fallback = ev.outcome.split(":", 1)[1] if ev.outcome.startswith("degraded:") else None
        if ev.error_type == "validation_failed":
            m.validation_failures.add(1, base)
        if fallback is not None:
            m.fallbacks.add(1, {**base, "llmops.fallback": fallback, "error.type": ev.error_type})
        if ev.error_type == "shed":
            m.sheds.add(1, base)

        end = self._now_ns()
        attrs: _Attrs = {
            **base,
            "gen_ai.system": provider,
            "llmops.request_id": ev.request_id,
            "llmops.outcome": ev.outcome,
            "llmops.attempts": ev.attempts,
            "llmops.queue_wait_s": ev.queue_wait_s,
        }
        if ev.ttft_s is not None:  # a stream: what its caller waited for the first token
            attrs["llmops.ttft_s"] = ev.ttft_s
        answered = next((a for a, _ in reversed(attempts) if a.error_type is None), None)
        if answered is not None:
            attrs.update(
                _some(
                    {
                        "gen_ai.response.model": answered.model_reported,
                        "gen_ai.usage.input_tokens": answered.input_tokens,
                        "gen_ai.usage.output_tokens": answered.output_tokens,
                    }
                )
            )
        if ev.error_type is not None:
            attrs["error.type"] = ev.error_type
        if fallback is not None:
            attrs["llmops.fallback"] = fallback
        if self.wants_content:
            attrs.update(_content(ev))
        span = self.tracer.start_span(
            f"chat {model}",
            kind=SpanKind.CLIENT,
            start_time=end - _ns(ev.latency_s),
            attributes=attrs,
        )
        if ev.outcome == "error":
            span.set_status(Status(StatusCode.ERROR, ev.error_type))
        parent = trace.set_span_in_context(span)
        for attempt, attempt_end in attempts:
            self._attempt_span(attempt, attempt_end, parent, standalone=False)
        span.end(end_time=end)

    def _breaker(self, ev: BreakerTransition) -> None:
        m = self.instruments
        who = {"llmops.provider": ev.provider}
        m.breaker_transitions.add(1, {**who, "llmops.breaker.to": ev.new})
        for state in BREAKER_STATES:
            m.breaker_state.set(int(state == ev.new), {**who, "llmops.breaker.state": state})

    # -- spans -------------------------------------------------------------------------------

    def _attempt_span(self, ev: ModelCall, end: int, parent: Any, *, standalone: bool) -> None:
        attrs: _Attrs = {
            **_genai(ev.provider, ev.model_requested, ev.feature),
            "llmops.request_id": ev.request_id,
            "llmops.attempt": ev.attempt,
        }
        attrs.update(
            _some(
                {
                    "gen_ai.response.model": ev.model_reported,
                    "gen_ai.usage.input_tokens": ev.input_tokens,
                    "gen_ai.usage.output_tokens": ev.output_tokens,
                    "http.response.status_code": ev.status,
                    "error.type": ev.error_type,
                    "llmops.retry_after_s": ev.retry_after_s,
                    "llmops.ttft_s": ev.ttft_s,
                }
            )
        )
        name = f"chat {ev.model_requested}" if standalone else f"attempt {ev.attempt}"
        span = self.tracer.start_span(
            name,
            context=parent,
            kind=SpanKind.CLIENT,
            start_time=end - _ns(ev.latency_s),
            attributes=attrs,
        )
        if ev.error_type is not None:
            span.set_status(Status(StatusCode.ERROR, ev.error_type))
        span.end(end_time=end)

    def _now_ns(self) -> int:
        now = self._now()
        if self._anchor is None:
            self._anchor = (now, _ns(wall_time()))
        return self._anchor[1] + _ns(now - self._anchor[0])


def _version() -> str:
    """The installed distribution's version (the instrumentation scope's version)."""
    try:
        return importlib.metadata.version("llmops-toolkit")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


def _genai(provider: str, model: str, feature: str) -> _Attrs:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "llmops.feature": feature,
    }


def _some(attrs: Mapping[str, Any]) -> _Attrs:
    """The attributes whose value is known (OpenTelemetry attributes may not be None)."""
    return {k: v for k, v in attrs.items() if v is not None}


def _content(ev: CallFinished) -> _Attrs:
    """The messages as the GenAI conventions' ``gen_ai.input/output.messages`` (JSON text)."""
    out: _Attrs = {}
    if ev.input_messages is not None:
        out["gen_ai.input.messages"] = json.dumps(_parts(ev.input_messages), ensure_ascii=False)
    if ev.output_text is not None and ev.outcome == "ok":
        answer = [{"role": "assistant", "parts": [{"type": "text", "content": ev.output_text}]}]
        out["gen_ai.output.messages"] = json.dumps(answer, ensure_ascii=False)
    return out


def _parts(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"role": m["role"], "parts": [{"type": "text", "content": content_text(m["content"])}]}
        for m in messages
    ]
