"""Concurrency limit with a bounded queue: when the queue is full, calls are shed at once.

The queue is ordered by feature priority (:mod:`llmops.engine.priority`): a free slot goes to
a waiting high-priority call before any normal or low one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext

import anyio

from llmops.engine.clock import AnyioClock, Clock
from llmops.engine.priority import Priorities
from llmops.errors import CapacityExceeded, DeadlineExceeded


class ConcurrencyGate:
    """At most ``max_concurrency`` calls run; at most ``queue_limit`` wait; the rest are shed.

    A shed call raises :class:`CapacityExceeded` with a suggested retry delay: the time the
    queue ahead of it needs to drain at the recent average call duration. This is what a
    service turns into an HTTP 429. A wait in the queue is timed on ``clock`` (the event
    loop's by default; the engine hands over its own).
    """

    def __init__(
        self, max_concurrency: int, queue_limit: int, *, clock: Clock | None = None
    ) -> None:
        self.clock: Clock = clock or AnyioClock()
        self.max_concurrency = max_concurrency
        self.queue_limit = queue_limit
        self._sem = anyio.Semaphore(max_concurrency)
        self._lanes = Priorities()
        self._waiting = 0
        self._avg_duration_s = 1.0

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def in_flight(self) -> int:
        return self.max_concurrency - self._sem.value

    def observe_duration(self, seconds: float) -> None:
        """Feed call durations so the suggested retry delay tracks reality (EWMA)."""
        self._avg_duration_s += 0.05 * (seconds - self._avg_duration_s)

    def suggested_retry_after(self) -> float:
        rounds = (self._waiting + 1) / self.max_concurrency
        return round(max(0.1, rounds * self._avg_duration_s), 3)

    @asynccontextmanager
    async def slot(self, timeout_s: float | None = None, rank: int = 1) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block, waiting in the bounded queue if need be
        (before every call of a lower priority: ``rank`` 0 high, 1 normal, 2 low).

        A wait longer than ``timeout_s`` raises :class:`DeadlineExceeded`.
        """
        lanes = self._lanes
        if lanes.lined_up(rank) or not self._try_take():
            if self._waiting >= self.queue_limit:
                raise CapacityExceeded(
                    f"overloaded: {self.max_concurrency} calls in flight and "
                    f"{self._waiting} queued (queue limit {self.queue_limit})",
                    retry_after=self.suggested_retry_after(),
                )
            self._waiting += 1
            deadline: AbstractContextManager[object] = (
                nullcontext() if timeout_s is None else self.clock.timeout(timeout_s)
            )
            try:
                with deadline:
                    await lanes.take(rank, self._try_take)
            except TimeoutError:
                raise DeadlineExceeded(
                    f"waited {timeout_s:.3g}s in the queue for a free slot", retry_after=None
                ) from None
            finally:
                self._waiting -= 1
        try:
            yield
        finally:
            self._sem.release()
            lanes.notify()

    def _try_take(self) -> bool:
        try:
            self._sem.acquire_nowait()
        except anyio.WouldBlock:
            return False
        return True
