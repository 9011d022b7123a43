"""The Engine: every model call of every feature goes through here.

normalize -> admit (concurrency gate, bounded queue) -> upstream attempt loop (breaker, RPM/TPM
limiter, deadline, retries within budget) -> validation -> fallback on failure.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import anyio

from llmops.config import FeatureConfig, LlmopsConfig
from llmops.config.routes import PRIORITY_RANK
from llmops.engine.clock import AnyioClock, Clock, clock_for_running_loop, run_blocking
from llmops.engine.conversation import Conversations, call_for_summary
from llmops.engine.delivery import ByteCallback, ChunkCallback, Delivery
from llmops.engine.drain import BackgroundDrains
from llmops.engine.engine_state import _ADHOC, StateMethods
from llmops.engine.events import Event, Observer
from llmops.engine.fallbacks import Fallbacks
from llmops.engine.gate import ConcurrencyGate
from llmops.engine.prepare import input_profile, message_tokens, prepare_messages
from llmops.engine.record import CallRecord
from llmops.engine.result import CallResult
from llmops.engine.routes import RouteTable, Target, call_routes
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
from llmops.providers.tools import feature_options
from llmops.stores.answers import AnswerCache
from llmops.stores.redis_state import RuntimeState, open_runtime_state
from llmops.stores.state_stores import StateStores
from llmops.types import LLMRequest, ToolCall


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
        self._routes: RouteTable | None = None
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
        self._routes = RouteTable(
            cfg,
            state,
            self._transport,
            self.clock,
            self._rng,
            self._emit if self._observers else None,
        )
        self._upstreams = self._routes.upstreams
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
        if self._routes is not None:
            self._routes.set_emit(self._emit)

    def new_request_id(self) -> str:
        """A fresh request id of this engine (what a call without ``request_id`` gets)."""
        return f"{self._id_prefix}-{next(self._ids)}"

    def upstream(self, provider: str | None = None) -> Upstream:
        """The named provider's upstream (its limiter, breaker, budget); the only one if None."""
        if not self._upstreams:
            raise ConfigError("no providers configured (or the engine was not entered)")
        if provider is None:
            if len(self.config.providers) > 1:
                raise InputError("several providers: name one")
            return self._upstreams[next(iter(self.config.providers))]
        try:
            return self._upstreams[provider]
        except KeyError:
            raise InputError(f"unknown provider {provider!r}") from None

    # -- calls -------------------------------------------------------------------------------

    async def call(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        feature: str | None = None,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
        stream: bool = False,
        on_chunk: ChunkCallback | None = None,
        request_id: str | None = None,
        conversation_id: str | None = None,
        degrade: bool = True,
        model: str | None = None,
        options: Mapping[str, Any] | None = None,
        wire_body: Mapping[str, Any] | None = None,
        on_bytes: ByteCallback | None = None,
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

        A message's ``content`` is text or content parts (text and images, in the OpenAI or
        the Anthropic form), converted to the provider's wire format.
        ``model`` overrides the feature's model; ``options`` go into the request body as they
        are (``tools``, ``response_format``, ``top_p``, ``stop``, ``seed``... in the provider's
        wire format; tool calls come back in ``result.response.tool_calls``); ``wire_body`` is a body already in the
        provider's wire format, sent as is (see :class:`LLMRequest`: the SDK drop-in's path),
        and ``on_bytes`` receives a stream's raw body as it arrives (see
        :mod:`llmops.engine.delivery`; a failure once bytes went out is raised, not degraded).
        """
        name = feature or "default"
        cfg = self._feature(feature) if feature is not None else _ADHOC
        rid = request_id or self.new_request_id()
        clock = self.clock
        start = clock.now()
        deadline = start + (timeout_s or self.config.limits.timeout_s)
        msgs = new = self._prepare(messages, cfg, rid, name)
        if conversation_id is not None:
            if cfg.conversation is None:
                raise InputError(f"feature {name!r} has no conversation section")
            msgs = await self.conversations.messages(name, cfg.conversation, conversation_id, msgs)
        targets = self._targets(cfg, model)
        kind = targets[0].upstream.provider.name  # the feature's tools are in its wire format
        request = LLMRequest(
            model=targets[0].model,
            messages=msgs,
            max_tokens=max_tokens or cfg.max_tokens,
            temperature=cfg.temperature,
            stream=stream,
            extra={**feature_options(kind, cfg.tools, cfg.response_format), **(options or {})},
            wire_body=wire_body,
        )
        estimated = sum(message_tokens(m) for m in msgs) + request.max_tokens
        delivery = Delivery(clock, on_chunk, on_bytes)
        rec = CallRecord(rid, name, start, request, targets[0].upstream, delivery)
        try:
            try:
                # every wait inside (queue, limiter, attempts, backoff) is bounded by the deadline
                async with self.gate.slot(deadline - start, PRIORITY_RANK[cfg.priority]):
                    rec.queue_wait_s = clock.now() - start
                    target, outcome = await call_routes(
                        targets,
                        request,
                        feature=cfg,
                        request_id=rid,
                        name=name,
                        deadline=deadline,
                        estimated_tokens=estimated,
                        delivery=delivery,
                        clock=clock,
                    )
                    rec.attempts, rec.upstream = outcome.attempts, target.upstream
                    self.gate.observe_duration(clock.now() - start - rec.queue_wait_s)
                text = outcome.response.text
                if cfg.validation is not None and (problem := cfg.validation.problem(text)):
                    raise ValidationFailed(problem)
            except CapacityExceeded as err:
                self._finish(rec, "error", err)
                raise
            except CallError as err:
                if not degrade or (on_bytes is not None and delivery.delivered):  # bytes are out:
                    self._finish(rec, "error", err)  # no fallback answer can follow them
                    raise
                return await self._degrade(cfg, rec, err)
            if cfg.fallback.strategy == "cached":
                await self._fallbacks.remember(name, cfg.fallback, msgs, text)
            if conversation_id is not None and cfg.conversation is not None:
                await self.conversations.record(cfg.conversation, conversation_id, new, text)
            rec.route = target.label
            result = CallResult(
                request_id=rid,
                feature=name,
                outcome="ok",
                text=text,
                response=outcome.response,
                attempts=rec.attempts,
                latency_s=clock.now() - start,
                queue_wait_s=rec.queue_wait_s,
                route=target.label,
            )
            self._finish(rec, "ok", None, text, outcome.response.tool_calls)
            return result
        except anyio.get_cancelled_exc_class():
            # cancelled from outside (the caller left: a closed SDK stream or client, a
            # cancelled task); the engine's own deadlines end a call as an error instead
            if not rec.closed:
                self._finish(rec, "cancelled", None)
            raise

    async def stream(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        feature: str | None = None,
        on_chunk: ChunkCallback | None = None,
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
        target = self._targets(cfg)[0]
        return target.label, target.upstream

    def _targets(self, cfg: FeatureConfig, model: str | None = None) -> list[Target]:
        if self._routes is None:
            if self.config.provider_for(cfg) is None and not cfg.routes:
                raise ConfigError("no provider configured for this call")
            raise InputError("use the engine inside 'async with engine:'")
        return self._routes.targets(cfg, model)  # (routes_for raises the same ConfigError)

    def _prepare(
        self, messages: Sequence[Mapping[str, Any]], cfg: FeatureConfig, rid: str, name: str
    ) -> list[dict[str, Any]]:
        prepared = prepare_messages(messages, cfg, self.config.limits.max_input_chars)
        if self._observers and self._call_events:
            self._emit(input_profile(prepared, rid, name, detect_language=self._detect_language))
        return prepared[0]

    async def _degrade(self, cfg: FeatureConfig, rec: CallRecord, err: CallError) -> CallResult:
        try:
            answer = await self._fallbacks.answer(
                cfg.fallback, rec.feature, rec.request.messages, err
            )
        except CallError:
            self._finish(rec, "error", err)
            raise
        outcome = f"degraded:{cfg.fallback.strategy}"
        self._finish(rec, outcome, err, answer.text)
        return CallResult(
            request_id=rec.request_id,
            feature=rec.feature,
            outcome=outcome,
            text=answer.text,
            value=answer.value,
            error=err,
            attempts=rec.attempts,
            latency_s=self.clock.now() - rec.start,
            queue_wait_s=rec.queue_wait_s,
            queued_id=answer.queued_id,
        )

    def _finish(
        self,
        rec: CallRecord,
        outcome: str,
        err: CallError | None,
        text: str | None = None,
        tool_calls: Sequence[ToolCall] = (),
    ) -> None:
        rec.closed = True
        if self._observers and self._call_events:  # (nothing is built while nobody listens)
            now = self.clock.now()
            tools = tuple(call.name for call in tool_calls)
            self._emit(
                rec.finished(outcome, err, now, content=self._content, text=text, tools=tools)
            )

    def _emit(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)
