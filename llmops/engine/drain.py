"""Draining a reprocess queue through the engine, once the API is back.

:class:`QueueDrain` takes the queued calls of one feature oldest first, calls the model again
through the engine (so its limits and breaker apply, and the fallback is *not* asked: a drained
call is never queued twice), and yields each item with its answer. An item is acknowledged only
after the consumer has taken its answer (the loop resumes), so a consumer that dies loses
nothing: the lease runs out and the item is delivered again (at-least-once). The drain stops by
itself when the queue is empty, when ``limit`` items are done, or when the breaker is open (the
engine's own breaker check refuses the call; with a fleet's breaker that is the shared state, not
a stale local view). An item whose call failed because the API is down (the breaker open, or
opening on this very call: a failed half-open probe) goes back at once without counting an
attempt, so an outage never pushes items to the dead letters; any other failure counts, and the
item waits out its lease.

:func:`auto_drain` is the background loop behind ``fallback: {strategy: queue, auto_drain:
true}``: every ``check_every``, when items wait, it drains at most ``drain_rate`` items per
second, handing each answer to the service's callback. While the breaker is open the first call
is refused and the item goes straight back; a half-open breaker lets it be the probe.
"""

from __future__ import annotations

import inspect
import os
import platform
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import anyio
import anyio.abc

from llmops.config import FeatureConfig, QueueFallback
from llmops.engine.clock import Clock
from llmops.engine.result import CallResult
from llmops.errors import CallError, CapacityExceeded, CircuitOpen, RetryBudgetExhausted
from llmops.stores.reprocess import QueuedCall, ReprocessQueue

__all__ = ["BackgroundDrains", "DrainCallback", "Drained", "QueueDrain", "auto_drain"]

StopReason = Literal["empty", "limit", "breaker_open", "overloaded", "interrupted"]


@dataclass(frozen=True, slots=True)
class Drained:
    """One queued call and the answer the model gave it on reprocessing."""

    item: QueuedCall
    result: CallResult


#: what a service registers to receive drained answers (sync or async)
DrainCallback = Callable[[Drained], Awaitable[None] | None]


class _Engine(Protocol):
    clock: Clock

    def reprocess_queue(self, feature: str) -> ReprocessQueue: ...

    def breaker_open(self, feature: str) -> bool: ...

    async def call(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        feature: str | None = ...,
        degrade: bool = ...,
    ) -> CallResult: ...


class QueueDrain:
    """``async for drained in QueueDrain(engine, "summarize"): ...`` (see the module docstring).

    Afterwards ``done``, ``failed`` and ``stopped`` (``empty``, ``limit``, ``breaker_open``, or
    ``overloaded`` when the engine's own queue or retry budget refused, ``interrupted`` when
    ``stop`` was set) say how it went. ``rate`` bounds items per second (None: as fast as the
    limits allow).
    """

    def __init__(
        self,
        engine: _Engine,
        feature: str,
        *,
        limit: int | None = None,
        rate: float | None = None,
        consumer: str | None = None,
        stop: anyio.Event | None = None,
    ) -> None:
        self.engine = engine
        #: set (Ctrl-C): stop after the item in hand is answered and acknowledged
        self.stop = stop
        self.feature = feature
        self.queue = engine.reprocess_queue(feature)
        self.limit = limit
        self.rate = rate
        self.consumer = consumer or f"{platform.node()}-{os.getpid()}"
        self.done = 0
        self.failed = 0
        self.stopped: StopReason | None = None

    def __aiter__(self) -> AsyncIterator[Drained]:
        return self._run()

    async def _run(self) -> AsyncIterator[Drained]:
        clock = self.engine.clock
        next_at = clock.now()
        while True:
            if self.stop is not None and self.stop.is_set():
                self.stopped = "interrupted"
                return
            if self.limit is not None and self.done + self.failed >= self.limit:
                self.stopped = "limit"
                return
            if self.rate is not None:  # item starts at least 1/rate seconds apart
                await clock.sleep(next_at - clock.now())
                next_at = clock.now() + 1 / self.rate
            taken = await self.queue.take(self.consumer)
            if not taken:
                self.stopped = "empty"
                return
            item = taken[0]
            try:
                result = await self.engine.call(item.messages, feature=self.feature, degrade=False)
            except CallError as err:
                if isinstance(err, CircuitOpen) or self.engine.breaker_open(self.feature):
                    # the API is (still) down, not this item at fault: back at once, uncounted
                    await self.queue.release(item)
                    self.stopped = "breaker_open"
                    return
                if isinstance(err, CapacityExceeded | RetryBudgetExhausted):
                    await self.queue.release(item)  # this service is busy: later, uncounted
                    self.stopped = "overloaded"
                    return
                self.failed += 1
                await self.queue.retry_later(item.id, f"{err.error_type}: {err}")
                continue
            self.done += 1
            yield Drained(item, result)
            await self.queue.ack(item.id)  # only once the consumer has taken the answer


async def auto_drain(
    engine: _Engine,
    feature: str,
    fallback: QueueFallback,
    callback: Callable[[], DrainCallback | None],
) -> None:
    """Drain ``feature``'s queue in the background for as long as the engine runs."""
    clock = engine.clock
    queue = engine.reprocess_queue(feature)
    while True:
        await clock.sleep(fallback.check_every)
        handler = callback()
        if handler is None:
            continue
        try:
            if (await queue.status()).waiting == 0:
                continue
            async for drained in QueueDrain(engine, feature, rate=fallback.drain_rate):
                returned = handler(drained)
                if inspect.isawaitable(returned):
                    await returned
        except Exception:  # never takes the service down: an item whose callback failed stays
            continue  # unacknowledged (delivered again after its lease); a store outage waits


class BackgroundDrains:
    """The engine's ``auto_drain`` tasks and the callbacks services registered for them."""

    def __init__(self) -> None:
        self.callbacks: dict[str, DrainCallback] = {}
        self._group: anyio.abc.TaskGroup | None = None

    async def start(self, engine: _Engine, features: Mapping[str, FeatureConfig]) -> None:
        """Start one background drain per feature whose queue fallback says ``auto_drain``."""
        for name, feature in features.items():
            fallback = feature.fallback
            if fallback.strategy != "queue" or not fallback.auto_drain:
                continue
            if self._group is None:
                self._group = anyio.create_task_group()
                await self._group.__aenter__()
            self._group.start_soon(
                auto_drain, engine, name, fallback, lambda n=name: self.callbacks.get(n)
            )

    async def aclose(self) -> None:
        """Stop the background drains (an item in progress is delivered again later)."""
        if self._group is not None:
            self._group.cancel_scope.cancel()
            await self._group.__aexit__(None, None, None)
            self._group = None
