"""The hot path: one request through the engine, or straight to the API (``--raw``).

Both callers record into a :class:`~llmops.workflows.loadtest.metrics.LevelRecorder` and
return the time the answer ended. Nothing is allocated per request beyond what the call
itself needs: messages and (raw) HTTP requests are built once per prompt; the engine emits
only its per-attempt ``ModelCall`` events, straight to the recorder.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from llmops.config import LlmopsConfig
from llmops.engine.clock import Clock
from llmops.engine.engine import Engine
from llmops.engine.events import BreakerTransition, ModelCall
from llmops.engine.isolation import isolated_config
from llmops.engine.result import cause_of, describe_failure
from llmops.engine.transport import Transport
from llmops.errors import CallError, DeadlineExceeded, FeatureUnavailable
from llmops.providers.registry import make_provider
from llmops.types import LLMRequest, LLMResponse
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.prompts import PromptSet
from llmops.workflows.target import Target

__all__ = ["Caller", "EngineCaller", "RawCaller", "error_class"]

WARMUP_PREFIX = "warmup-"

#: the longest a closed-loop client waits when told to come back later
MAX_RETRY_AFTER_WAIT_S = 2.0


def error_class(err: CallError) -> str:
    """The failure class a user saw: the cause's for a feature whose fallback is ``error``."""
    if isinstance(err, FeatureUnavailable):
        return err.cause.error_type
    return err.error_type


def _refused(err: CallError) -> bool:
    return error_class(err) == "circuit_open"


def _record_answer(
    rec: LevelRecorder, response: LLMResponse | None, latency: float, degraded: bool
) -> None:
    usage = response.usage if response is not None else None
    rec.success(latency, usage.output_tokens if usage is not None else 0, degraded)
    if rec.ttft is not None and response is not None:
        rec.stream_timing(response.ttft_s, response.chunk_times_s, latency)


class Caller:
    """One request at a time into a recorder; subclasses say how."""

    clock: Clock
    warmup_rec: LevelRecorder | None = None
    #: the engine's circuit-breaker transitions during the level, as text
    transitions: list[str]

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        """Send prompt ``index`` (modulo the prompt count); latency counts from ``t0``."""
        raise NotImplementedError

    def begin_measuring(self) -> None:
        """The warm-up is over: the measured window starts now."""


class EngineCaller(Caller):
    """Calls through :class:`~llmops.Engine` (limits, retries, breaker, fallbacks)."""

    def __init__(
        self,
        engine: Engine,
        target: Target,
        prompts: PromptSet,
        *,
        max_tokens: int,
        stream: bool,
        honour_retry_after: bool = False,
    ) -> None:
        self.engine = engine
        self.clock = engine.clock
        self._honour_retry_after = honour_retry_after
        self._feature = target.feature
        self._messages = prompts.messages
        self._n = len(prompts.messages)
        self._max_tokens = max_tokens
        self._stream = stream
        self.rec: LevelRecorder | None = None
        self.transitions = []
        self._provider = target.provider
        engine.add_observer(self._on_event)

    def begin_measuring(self) -> None:
        """A breaker the warm-up burst opened is closed again, so the measured window shows
        what the target does at this load, not the tail of the warm-up (the opening is kept
        in the level's transitions). A breaker shared with the fleet (``--shared-state``) is
        left alone: closing it would close it for every instance of the service."""
        breaker = self.engine.upstream(self._provider).breaker
        if breaker is not None and not breaker.shared and breaker.known_state().value != "closed":
            self.engine.close_circuit(self._provider)

    def _on_event(self, event: object) -> None:
        if type(event) is ModelCall:
            warm = event.request_id.startswith(WARMUP_PREFIX)
            rec = self.warmup_rec if warm else self.rec
            if rec is not None:
                rec.attempt(event.status, event.error_type)
                if event.limit_requests is not None or event.limit_tokens is not None:
                    rec.advertise(event.limit_requests, event.limit_tokens)
        elif type(event) is BreakerTransition:
            self.transitions.append(f"{event.old} -> {event.new}: {event.reason}")

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        clock = self.clock
        try:
            result = await self.engine.call(
                self._messages[index % self._n],
                feature=self._feature,
                max_tokens=self._max_tokens,
                stream=self._stream,
                request_id=f"{WARMUP_PREFIX}{index}" if warmup else None,
            )
        except CallError as err:
            end = clock.now()
            rec.failure(error_class(err), end - t0)
            if err.upstream_cause is not None:
                rec.cause(cause_of(err), _refused(err))
            wait = err.retry_after
            if self._honour_retry_after and wait is not None and wait > 0:
                # A user told to come back later (shed, breaker open, rate limited) waits as
                # told, up to a cap; a closed-loop client spinning on instant refusals would
                # swamp the level's request count with them and hide the requests served.
                await clock.sleep(min(wait, MAX_RETRY_AFTER_WAIT_S))
            return end
        end = clock.now()
        _record_answer(rec, result.response, end - t0, result.outcome != "ok")
        if result.error is not None:
            rec.cause(cause_of(result.error), _refused(result.error))
        rec.queue_wait.add(result.queue_wait_s)
        return end


class RawCaller(Caller):
    """Calls the provider adapter over the transport: no limits, no retries, one attempt."""

    def __init__(
        self,
        transport: Transport,
        target: Target,
        prompts: PromptSet,
        clock: Clock,
        *,
        max_tokens: int,
        stream: bool,
        timeout_s: float,
    ) -> None:
        cfg = target.config.providers[target.provider]
        self.provider = make_provider(
            cfg.kind,
            cfg.base_url,
            cfg.api_key(),
            default_headers=cfg.headers,
            wall_clock=clock.wall,
        )
        self.transport = transport
        self.clock = clock
        model = target.model
        self._requests = [
            LLMRequest(model=model, messages=m, max_tokens=max_tokens, stream=stream)
            for m in prompts.messages
        ]
        self._http = [self.provider.build_request(r) for r in self._requests]
        self._n = len(self._requests)
        self._stream = stream
        self._timeout = timeout_s
        self.transitions = []

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        clock, provider = self.clock, self.provider
        i = index % self._n
        try:
            with clock.timeout(self._timeout):
                if self._stream:
                    response = await provider.stream(self.transport, self._requests[i], clock=clock)
                else:
                    http = await self.transport.send(self._http[i])
                    response = provider.parse_response(http)
        except TimeoutError:
            err: CallError = DeadlineExceeded(f"no answer within {self._timeout:g}s")
        except CallError as exc:
            err = exc
        else:
            end = clock.now()
            rec.attempt(200, None)
            _record_answer(rec, response, end - t0, False)
            return end
        end = clock.now()
        rec.attempt(getattr(err, "status", None), err.error_type)
        rec.failure(err.error_type, end - t0)
        rec.cause(describe_failure(err, getattr(self.provider, "base_url", None)))
        return end


@asynccontextmanager
async def open_caller(
    target: Target,
    config: LlmopsConfig,
    prompts: PromptSet,
    transport: Transport,
    clock: Clock,
    *,
    raw: bool,
    max_tokens: int,
    stream: bool,
    timeout_s: float,
    closed_loop: bool = True,
    shared_state: bool = False,
) -> AsyncIterator[Caller]:
    """A caller for one level: a fresh engine (fresh breaker, limiter and budget) per level,
    over the run's shared transport (its connections stay warm between levels), its
    reprocess queues in a temporary directory and no events log. In closed loop
    a client told to come back later by the engine waits as told (at most
    ``MAX_RETRY_AFTER_WAIT_S``) before its next request. The engine keeps its limiter and
    breaker to itself unless ``shared_state`` (then ``config.state`` says where they live)."""
    if raw:
        yield RawCaller(
            transport,
            target,
            prompts,
            clock,
            max_tokens=max_tokens,
            stream=stream,
            timeout_s=timeout_s,
        )
        return
    # synthetic traffic never writes into the user's stores (reprocess queue, events log)
    with tempfile.TemporaryDirectory(prefix="llmops-loadtest-") as scratch:
        async with Engine(
            isolated_config(config, scratch),
            transport=transport,
            clock=clock,
            call_events=False,
            isolate_state=not shared_state,
        ) as engine:
            yield EngineCaller(
                engine,
                target,
                prompts,
                max_tokens=max_tokens,
                stream=stream,
                honour_retry_after=closed_loop,
            )
