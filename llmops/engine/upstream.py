"""One upstream (a configured provider) and the attempt loop that calls it.

Per upstream: a rate limiter (RPM + TPM) and a circuit breaker, each behind its store interface
(in process, or shared by a fleet through Redis: :mod:`llmops.stores.redis_state`), and a retry
budget from core/. The loop: breaker -> limiter admission -> one attempt under its deadline ->
classify -> retry with backoff or the server's Retry-After, within the retry budget and the
call's deadline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import anyio

from llmops.config import LimitsConfig, RetryConfig
from llmops.core.budget import RetryBudget
from llmops.core.retry import next_retry_delay
from llmops.engine.clock import Clock
from llmops.engine.delivery import Delivery
from llmops.engine.events import BreakerTransition, ModelCall, Observer
from llmops.engine.priority import Priorities
from llmops.engine.result import describe_failure
from llmops.engine.transport import Transport
from llmops.errors import (
    CallError,
    CircuitOpen,
    ClientError,
    DeadlineExceeded,
    QuotaExhausted,
    RateLimited,
    RetryBudgetExhausted,
    ValidationFailed,
)
from llmops.providers.base import Provider
from llmops.stores.breaker_state import Breaker, Permit
from llmops.stores.limits import Limiter
from llmops.types import LLMRequest, LLMResponse

# Failures that say nothing about the upstream's health do not move the breaker.
_NOT_HEALTH = (ClientError, RateLimited, QuotaExhausted, ValidationFailed)


@dataclass(frozen=True, slots=True)
class _AttemptInfo:
    """What the bookkeeping after one attempt needs to know about it."""

    request: LLMRequest
    attempt: int
    request_id: str
    feature: str
    start: float
    reserved: int
    permit: Permit | None


@dataclass(slots=True)
class AttemptOutcome:
    response: LLMResponse
    attempts: int


class Upstream:
    """A provider with its limiter, breaker (``None`` when disabled) and retry budget."""

    def __init__(
        self,
        name: str,
        provider: Provider,
        transport: Transport,
        clock: Clock,
        *,
        limits: LimitsConfig,
        retry: RetryConfig,
        limiter: Limiter,
        breaker: Breaker | None,
        rng: random.Random,
        emit: Observer | None,
    ) -> None:
        self.name = name
        self.provider = provider
        self.transport = transport
        self.clock = clock
        self.limits = limits
        self.retry = retry
        self.limiter = limiter
        self.breaker = breaker
        self.budget = RetryBudget(retry.budget_ratio, retry.budget_min_per_s, retry.budget_window_s)
        #: who waits at the limiter, by feature priority
        self.priorities = Priorities()
        self._rng = rng
        #: where this upstream's events go; None while nobody listens (no event is built then)
        self.emit = emit
        #: the last upstream failure that counts against its health, in words: the cause the
        #: breaker's refusals carry (``CallError.upstream_cause``)
        self.last_failure: str | None = None

    async def call(
        self,
        request: LLMRequest,
        *,
        request_id: str,
        feature: str,
        deadline: float,
        estimated_tokens: int,
        delivery: Delivery | None = None,
        priority: int = 1,
    ) -> AttemptOutcome:
        """Run attempts until one succeeds or no retry is allowed; raise the last error.

        ``delivery`` takes a stream's output as it arrives (no retry once any was handed
        over); ``priority`` (0 high, 1 normal, 2 low) orders calls waiting at a saturated
        limiter."""
        clock = self.clock
        self.budget.record_request(clock.now())
        delivery = delivery or Delivery(clock)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(
                    request,
                    attempt,
                    request_id,
                    feature,
                    deadline,
                    estimated_tokens,
                    delivery,
                    priority,
                )
                return AttemptOutcome(response, attempt)
            except CallError as err:
                now = clock.now()
                if not err.retryable or attempt >= self.retry.max_attempts or delivery.delivered:
                    raise
                delay = next_retry_delay(
                    attempt,
                    server_delay_s=err.retry_after,
                    base_s=self.retry.backoff_base_s,
                    cap_s=self.retry.backoff_cap_s,
                    remaining_s=deadline - now,
                    rng=self._rng,
                )
                if delay is None:
                    raise
                if not self.budget.try_spend(now):
                    spent = RetryBudgetExhausted(
                        f"retry budget spent; last error: {err}", retry_after=err.retry_after
                    )
                    spent.upstream_cause = err.upstream_cause
                    raise spent from err
                await clock.sleep(delay)

    async def _attempt(
        self,
        request: LLMRequest,
        attempt: int,
        request_id: str,
        feature: str,
        deadline: float,
        estimated_tokens: int,
        delivery: Delivery,
        priority: int = 1,
    ) -> LLMResponse:
        clock = self.clock
        breaker = self.breaker
        permit = None
        if breaker is not None:
            permit = await breaker.allow()
            if not permit.allowed:
                self._flush_transitions()
                refused = CircuitOpen(
                    f"circuit open for provider {self.name}", retry_after=permit.retry_after
                )
                refused.upstream_cause = self.last_failure or (
                    "no upstream failure seen here: the breaker was opened by hand "
                    "or by another instance"
                )
                raise refused
        try:
            await self._admit(estimated_tokens, deadline, priority)
        except BaseException:
            if breaker is not None and permit is not None:
                with anyio.CancelScope(shield=True):
                    await breaker.release(permit)
            raise
        start = clock.now()
        at = _AttemptInfo(request, attempt, request_id, feature, start, estimated_tokens, permit)
        budget_s = min(self.limits.attempt_timeout_s, deadline - start)
        try:
            with clock.timeout(budget_s):
                if request.stream:
                    response = await self.provider.stream(
                        self.transport,
                        request,
                        clock=clock,
                        stall_timeout_s=self.limits.stream_stall_s,
                        on_chunk=delivery.chunk_callback,
                        on_bytes=delivery.byte_callback,
                    )
                else:
                    response = await self.provider.send(self.transport, request, clock=clock)
        except TimeoutError:
            err: CallError = DeadlineExceeded(f"attempt {attempt} timed out after {budget_s:.3g}s")
            await self._failed(err, at)
            raise err from None
        except CallError as exc:
            await self._failed(exc, at)
            raise
        except BaseException:
            # cancelled from outside: give back what we took, leave the breaker neutral
            with anyio.CancelScope(shield=True):
                if breaker is not None and permit is not None:
                    await breaker.release(permit)
                await self.limiter.reconcile(estimated_tokens, 0)
            raise
        await self._succeeded(response, at)
        return response

    async def _admit(self, tokens: int, deadline: float, priority: int = 1) -> None:
        clock = self.clock
        lanes = self.priorities
        while True:
            if lanes.ahead_of(priority):
                try:
                    with clock.timeout(max(0.0, deadline - clock.now())):
                        await lanes.turn(priority)
                except TimeoutError:
                    raise DeadlineExceeded(
                        f"higher-priority calls held the limiter of provider {self.name} "
                        "past this call's deadline"
                    ) from None
            wait = await self.limiter.acquire(tokens)
            if wait <= 0:
                return
            now = clock.now()
            if now + wait > deadline:
                raise DeadlineExceeded(
                    f"{self.limiter.waiting_on} of provider {self.name} admits this call only "
                    f"in {wait:.2f}s, after its deadline",
                    retry_after=wait,
                )
            with lanes.waiting(priority):
                await clock.sleep(wait)

    async def _succeeded(self, response: LLMResponse, at: _AttemptInfo) -> None:
        now = self.clock.now()
        if response.usage is not None:
            used = response.usage.input_tokens + response.usage.output_tokens
            await self.limiter.reconcile(at.reserved, used)
        if response.rate_limits is not None:
            await self.limiter.observe(response.rate_limits)
        if self.breaker is not None and at.permit is not None:
            await self.breaker.record(at.permit, True, now - at.start)
            self._flush_transitions()
        if self.emit is not None:
            self.emit(self._model_call(at, now, response, None))

    async def _failed(self, err: CallError, at: _AttemptInfo) -> None:
        now = self.clock.now()
        err.upstream_cause = describe_failure(err, getattr(self.provider, "base_url", None))
        if not isinstance(err, _NOT_HEALTH):
            self.last_failure = err.upstream_cause
        # A failed attempt consumed (almost) no tokens upstream: give the reservation back.
        await self.limiter.reconcile(at.reserved, 0)
        rate_limits = getattr(err, "rate_limits", None)
        if rate_limits is not None:
            await self.limiter.observe(rate_limits)
        if isinstance(err, RateLimited) and err.retry_after is not None:
            await self.limiter.pause(err.retry_after)
        if self.breaker is not None and at.permit is not None:
            if isinstance(err, _NOT_HEALTH):
                await self.breaker.release(at.permit)
            else:
                await self.breaker.record(at.permit, False, now - at.start)
            self._flush_transitions()
        if self.emit is not None:
            self.emit(self._model_call(at, now, None, err))

    def _model_call(
        self, at: _AttemptInfo, now: float, response: LLMResponse | None, err: CallError | None
    ) -> ModelCall:
        usage = response.usage if response is not None else None
        limits = response.rate_limits if response is not None else getattr(err, "rate_limits", None)
        return ModelCall(
            request_id=at.request_id,
            feature=at.feature,
            provider=self.provider.name,
            attempt=at.attempt,
            model_requested=at.request.model,
            model_reported=response.model if response is not None else None,
            status=200 if err is None else getattr(err, "status", None),
            error_type=err.error_type if err is not None else None,
            latency_s=now - at.start,
            ttft_s=response.ttft_s if response is not None else None,
            input_tokens=usage.input_tokens if usage else None,
            output_tokens=usage.output_tokens if usage else None,
            retry_after_s=err.retry_after if err is not None else None,
            limit_requests=limits.requests_limit if limits is not None else None,
            limit_tokens=limits.tokens_limit if limits is not None else None,
        )

    def _flush_transitions(self) -> None:
        if self.breaker is None:
            return
        changes = self.breaker.drain_transitions()
        if self.emit is not None:
            for old, new, reason in changes:
                self.emit(BreakerTransition(self.name, old.value, new.value, reason))
