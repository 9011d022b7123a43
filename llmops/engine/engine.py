"""The Engine: every model call of every feature goes through here.

normalize -> admit (concurrency gate, bounded queue) -> upstream attempt loop (breaker, RPM/TPM
limiter, deadline, retries within budget) -> validation -> fallback on failure.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import anyio

from llmops.config import FeatureConfig, LlmopsConfig
from llmops.core.textprofile import estimate_tokens, normalize_input, profile_text
from llmops.engine.clock import AnyioClock, Clock, clock_for_running_loop, run_blocking
from llmops.engine.conversation import Conversations, call_for_summary
from llmops.engine.drain import BackgroundDrains
from llmops.engine.engine_state import StateMethods
from llmops.engine.events import CallFinished, Event, InputProfile, Observer
from llmops.engine.fallbacks import Fallbacks
from llmops.engine.gate import ConcurrencyGate
from llmops.engine.result import CallResult, cause_of
from llmops.engine.sinks import JsonlSink
from llmops.engine.transport import Transport
from llmops.engine.upstream import Upstream
from llmops.errors import (
    CallError,
    CapacityExceeded,
    ConfigError,
    InputError,
    ValidationFailed,
    did_you_mean,
)
from llmops.providers.registry import make_provider
from llmops.stores.answers import AnswerCache
from llmops.stores.breaker_state import DONE
from llmops.stores.redis_state import RuntimeState, open_runtime_state
from llmops.stores.state_stores import StateStores
from llmops.types import LLMRequest

_ADHOC = FeatureConfig()


class Engine(StateMethods):
    """The async reliability core. Use it as an async context manager::

        engine = Engine(load_config("llmops.yaml"))
        async with engine:
            result = await engine.call(feature="summarize", messages=[...])

    ``transport`` defaults to the fast aiohttp adapter on asyncio (httpx on trio); pass
    ``llmops.mock.MockTransport(...)`` or an ``HttpxTransport`` over ``httpx.MockTransport`` in
    tests. ``clock`` is the only source of time (inject a virtual one in tests).
    ``call_events=False`` skips the per-call ``input_profile`` and ``call_finished`` events,
    keeping the per-attempt ones (a load generator observing only attempts does not pay for
    profiling every input).

    Limiters and breakers live where ``config.state`` says (this process, or one Redis for a
    fleet); ``isolate_state=True`` keeps them in this process whatever it says (load tests and
    drills, so synthetic traffic never spends the fleet's budget or opens its breaker).
    """

    def __init__(
        self,
        config: LlmopsConfig,
        *,
        transport: Transport | None = None,
        clock: Clock | None = None,
        observers: Sequence[Observer] = (),
        rng: random.Random | None = None,
        answer_cache: AnswerCache | None = None,
        detect_language: bool = True,
        call_events: bool = True,
        isolate_state: bool = False,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or AnyioClock()
        self._clock_given = clock is not None
        self._transport = transport
        self._owns_transport = transport is None
        self._observers: list[Observer] = list(observers)
        self._sink: JsonlSink | None = None
        if config.events_log:
            self._sink = JsonlSink(config.events_log, clock=self.clock)
            self._observers.append(self._sink)
        if config.telemetry.opentelemetry:
            from llmops.telemetry import observer_from_config

            observer = observer_from_config(
                config, lambda: self.clock.now(), call_events=call_events
            )
            self._observers.append(observer)
        #: an observer asked for message content (OpenTelemetry's opt-in); off by default
        self._content = any(getattr(o, "wants_content", False) for o in self._observers)
        self._rng = rng or random.Random()
        self._detect_language = detect_language
        self._call_events = call_events
        self._isolate_state = isolate_state
        self._state: RuntimeState | None = None
        self.stores = StateStores(
            config.state,
            clock=lambda: self.clock,
            answer_cache=answer_cache,
            isolated=isolate_state,
        )
        self._fallbacks = Fallbacks(self.stores)
        summarize = functools.partial(call_for_summary, self.call)
        self.conversations = Conversations(self.stores.conversations, summarize)
        self._upstreams: dict[str, Upstream] = {}
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(4).hex()
        self._drains = BackgroundDrains()
        limits = config.limits
        self.gate = ConcurrencyGate(limits.max_concurrency, limits.queue_limit, clock=self.clock)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Engine:
        if not self._clock_given:
            self.clock = self.gate.clock = clock_for_running_loop()
        if self._transport is None:
            from llmops.engine.default_transport import default_transport

            self._transport = default_transport(limit=self.config.limits.max_concurrency)
        cfg = self.config
        state = await open_runtime_state(cfg.state, self.clock.now, isolate=self._isolate_state)
        self._state = state
        self.stores.share_client(getattr(getattr(state, "link", None), "client", None))
        for name, provider_cfg in self.config.providers.items():
            provider = make_provider(
                provider_cfg.kind,
                provider_cfg.base_url,
                provider_cfg.api_key(),
                wall_clock=self.clock.wall,
            )
            self._upstreams[name] = Upstream(
                name,
                provider,
                self._transport,
                self.clock,
                limits=cfg.limits,
                retry=cfg.retry,
                limiter=state.limiter(name, cfg.limits),
                breaker=(
                    state.breaker(name, cfg.breaker, probe_lease_s=cfg.limits.attempt_timeout_s + 1)
                    if cfg.breaker.enabled
                    else None
                ),
                rng=self._rng,
                emit=self._emit if self._observers else None,
            )
        await self._drains.start(self, self.config.features)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop background draining; close the transport (if the engine made it), the stores,
        the shared state and the events log (every event written), off the event loop."""
        await self._drains.aclose()
        with anyio.CancelScope(shield=True):
            if self._owns_transport and self._transport is not None:
                await self._transport.aclose()
                self._transport = None
            await self._fallbacks.aclose()
            if self._state is not None:
                await self._state.aclose()
                self._state = None
            if self._sink is not None:
                await run_blocking(self.clock, self._sink.close)

    def add_observer(self, observer: Observer) -> None:
        """Attach an observer (e.g. :class:`llmops.telemetry.otel.OtelObserver`) to every event."""
        self._observers.append(observer)
        self._content = self._content or getattr(observer, "wants_content", False)
        for upstream in self._upstreams.values():
            upstream.emit = self._emit

    def upstream(self, provider: str | None = None) -> Upstream:
        """The named provider's upstream (its limiter, breaker, budget); the only one if None."""
        if not self._upstreams:
            raise ConfigError("no providers configured (or the engine was not entered)")
        if provider is None:
            if len(self._upstreams) > 1:
                raise InputError("several providers: name one")
            return next(iter(self._upstreams.values()))
        try:
            return self._upstreams[provider]
        except KeyError:
            raise InputError(f"unknown provider {provider!r}") from None

    def open_circuit(
        self, provider: str | None = None, *, hold_s: float | None = None
    ) -> Awaitable[None]:
        """Force the breaker open until :meth:`close_circuit` or ``hold_s``, on every instance.

        It acts on this instance at once; await the result to be sure every instance sharing
        the state sees it too (already done in process).
        """
        up = self.upstream(provider)
        if up.breaker is None:
            return DONE
        done = up.breaker.force_open(hold_s)
        up._flush_transitions()
        return done

    def close_circuit(self, provider: str | None = None) -> Awaitable[None]:
        """Force the breaker closed with a fresh window, on every instance (see open_circuit)."""
        up = self.upstream(provider)
        if up.breaker is None:
            return DONE
        done = up.breaker.force_close()
        up._flush_transitions()
        return done

    # -- calls -------------------------------------------------------------------------------

    async def call(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        feature: str | None = None,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
        stream: bool = False,
        on_chunk: Callable[[str, float], None] | None = None,
        request_id: str | None = None,
        conversation_id: str | None = None,
        degrade: bool = True,
    ) -> CallResult:
        """Call the model for ``feature`` (or the only provider when ``feature`` is None).

        Returns a :class:`CallResult` whose ``outcome`` says which path answered. Raises
        :class:`CapacityExceeded` when the queue is full (a service's 429), and the feature's
        failure when its fallback is ``error`` (:class:`FeatureUnavailable`) or when no
        fallback could answer. ``degrade=False`` raises the failure instead of asking the
        fallback (what a queue drain does: a drained call must not be queued again).

        With ``conversation_id`` (a feature with ``conversation:``), ``messages`` is the new
        turn: the conversation's windowed history is sent before it, and the turn and the
        model's answer are appended afterwards (never a fallback's answer).
        """
        name = feature or "default"
        cfg = self._feature(feature) if feature is not None else _ADHOC
        rid = request_id or f"{self._id_prefix}-{next(self._ids)}"
        clock = self.clock
        start = clock.now()
        deadline = start + (timeout_s or self.config.limits.timeout_s)
        msgs = new = self._prepare(messages, cfg, rid, name)
        if conversation_id is not None:
            if cfg.conversation is None:
                raise InputError(f"feature {name!r} has no conversation section")
            msgs = await self.conversations.messages(name, cfg.conversation, conversation_id, msgs)
        upstream_name, upstream = self._upstream_for(cfg)
        request = LLMRequest(
            model=self._model_for(cfg, upstream_name),
            messages=msgs,
            max_tokens=max_tokens or cfg.max_tokens,
            temperature=cfg.temperature,
            stream=stream,
        )
        estimated = sum(estimate_tokens(m["content"]) for m in msgs) + request.max_tokens
        queue_wait = 0.0
        attempts = 0
        try:
            # every wait inside (queue, limiter, attempts, backoff) is bounded by the deadline
            async with self.gate.slot(deadline - start):
                queue_wait = clock.now() - start
                outcome = await upstream.call(
                    request,
                    request_id=rid,
                    feature=name,
                    deadline=deadline,
                    estimated_tokens=estimated,
                    on_chunk=on_chunk,
                )
                attempts = outcome.attempts
                self.gate.observe_duration(clock.now() - start - queue_wait)
            text = outcome.response.text
            if cfg.validation is not None and (problem := cfg.validation.problem(text)):
                raise ValidationFailed(problem)
        except CapacityExceeded as err:
            self._finish(rid, name, "error", err, attempts, start, queue_wait, request, upstream)
            raise
        except CallError as err:
            if not degrade:
                self._finish(
                    rid, name, "error", err, attempts, start, queue_wait, request, upstream
                )
                raise
            return await self._degrade(
                cfg, name, rid, request, err, attempts, start, queue_wait, upstream
            )
        if cfg.fallback.strategy == "cached":
            await self._fallbacks.remember(name, cfg.fallback, msgs, text)
        if conversation_id is not None and cfg.conversation is not None:
            await self.conversations.record(cfg.conversation, conversation_id, new, text)
        result = CallResult(
            request_id=rid,
            feature=name,
            outcome="ok",
            text=text,
            response=outcome.response,
            attempts=attempts,
            latency_s=clock.now() - start,
            queue_wait_s=queue_wait,
        )
        self._finish(rid, name, "ok", None, attempts, start, queue_wait, request, upstream, text)
        return result

    async def stream(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        feature: str | None = None,
        on_chunk: Callable[[str, float], None] | None = None,
        **kwargs: Any,
    ) -> CallResult:
        """Like :meth:`call`, streaming: ``on_chunk(text, seconds_since_send)`` sees each chunk.

        A failed stream is retried only while no chunk has reached ``on_chunk``.
        """
        return await self.call(messages, feature=feature, stream=True, on_chunk=on_chunk, **kwargs)

    # -- internals ---------------------------------------------------------------------------

    def _feature(self, name: str) -> FeatureConfig:
        try:
            return self.config.features[name]
        except KeyError:
            known = sorted(self.config.features)
            extra = did_you_mean(name, known, otherwise=f" (features: {', '.join(known)})")
            raise InputError(f"unknown feature {name!r}{extra}") from None

    def _upstream_for(self, cfg: FeatureConfig) -> tuple[str, Upstream]:
        found = self.config.provider_for(cfg)
        if found is None:
            raise ConfigError("no provider configured for this call")
        if not self._upstreams:
            raise InputError("use the engine inside 'async with engine:'")
        return found[0], self._upstreams[found[0]]

    def _model_for(self, cfg: FeatureConfig, provider: str) -> str:
        model = cfg.model or self.config.providers[provider].model
        if model is None:
            raise ConfigError(f"no model configured for provider {provider!r}")
        return model

    def _prepare(
        self, messages: Sequence[Mapping[str, str]], cfg: FeatureConfig, rid: str, name: str
    ) -> list[dict[str, str]]:
        max_chars = self.config.limits.max_input_chars
        out: list[dict[str, str]] = []
        if cfg.system_prompt and not (messages and messages[0].get("role") == "system"):
            out.append({"role": "system", "content": cfg.system_prompt})
        changed = truncated = False
        for m in messages:
            if "content" not in m or "role" not in m:
                raise InputError("each message needs 'role' and 'content'")
            content = m["content"]
            if m["role"] == "user":
                content, ch, tr = normalize_input(content, max_chars)
                changed, truncated = changed or ch, truncated or tr
            out.append({"role": m["role"], "content": content})
        if self._observers and self._call_events:
            user_text = "\n".join(m["content"] for m in out if m["role"] == "user")
            p = profile_text(user_text, detect_language=self._detect_language)
            self._emit(
                InputProfile(
                    request_id=rid,
                    feature=name,
                    chars=p.chars,
                    words=p.words,
                    lines=p.lines,
                    has_code=p.has_code,
                    language=p.language,
                    normalized_changed=changed,
                    truncated=truncated,
                )
            )
        return out

    async def _degrade(
        self,
        cfg: FeatureConfig,
        name: str,
        rid: str,
        request: LLMRequest,
        err: CallError,
        attempts: int,
        start: float,
        queue_wait: float,
        upstream: Upstream,
    ) -> CallResult:
        try:
            answer = await self._fallbacks.answer(cfg.fallback, name, request.messages, err)
        except CallError:
            self._finish(rid, name, "error", err, attempts, start, queue_wait, request, upstream)
            raise
        outcome = f"degraded:{cfg.fallback.strategy}"
        self._finish(
            rid, name, outcome, err, attempts, start, queue_wait, request, upstream, answer.text
        )
        return CallResult(
            request_id=rid,
            feature=name,
            outcome=outcome,
            text=answer.text,
            value=answer.value,
            error=err,
            attempts=attempts,
            latency_s=self.clock.now() - start,
            queue_wait_s=queue_wait,
            queued_id=answer.queued_id,
        )

    def _finish(
        self,
        rid: str,
        name: str,
        outcome: str,
        err: CallError | None,
        attempts: int,
        start: float,
        queue_wait: float,
        request: LLMRequest,
        upstream: Upstream | None = None,
        text: str | None = None,
    ) -> None:
        if self._observers and self._call_events:
            content = self._content
            self._emit(
                CallFinished(
                    request_id=rid,
                    feature=name,
                    outcome=outcome,
                    error_type=err.error_type if err is not None else None,
                    attempts=attempts,
                    latency_s=self.clock.now() - start,
                    queue_wait_s=queue_wait,
                    cause=cause_of(err) if err is not None else None,
                    provider=upstream.provider.name if upstream is not None else None,
                    model=request.model,
                    input_messages=tuple(request.messages) if content else None,
                    output_text=text if content else None,
                )
            )

    def _emit(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)
