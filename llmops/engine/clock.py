"""Every clock in llmops, and the one interface the rest of the code reads time through.

A :class:`Clock` gives monotonic seconds (:meth:`~Clock.now`), sleeps (:meth:`~Clock.sleep`),
deadlines (:meth:`~Clock.timeout`) and the wall-clock time records are stamped with
(:meth:`~Clock.wall`, Unix seconds). The engine, the providers, the gate, the eval runner and the
load generator take one and never go around it, so tests can run them on virtual time.

- :class:`AnyioClock`: the event loop's clock through anyio (virtual under trio's ``MockClock``);
- :class:`LoopClock`: asyncio's loop clock read directly, at a fraction of the cost;
- :class:`PreciseClock`: ``time.perf_counter`` readings with another clock's sleeps (the load
  generator measures with it; :func:`measuring_clock` picks it);
- :class:`VirtualClock`: time that moves only when a test moves it, on any event loop.

Only this module reads the system's clocks; :func:`wall_time` is the wall clock for code that
records a time with no clock at hand.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, TypeVar

import anyio
import anyio.lowlevel

__all__ = [
    "AnyioClock",
    "Clock",
    "LoopClock",
    "PreciseClock",
    "VirtualClock",
    "clock_for_running_loop",
    "measuring_clock",
    "run_blocking",
    "wall_time",
]

_HAS_UNCANCEL = hasattr(asyncio.Task, "uncancel")


class Clock(Protocol):
    """Where time comes from: monotonic readings, sleeps, deadlines, and wall-clock stamps."""

    def now(self) -> float:
        """Monotonic seconds (only differences between readings mean anything)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock (a negative wait is none)."""
        ...

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """A scope that raises ``TimeoutError`` when ``seconds`` pass before it exits."""
        ...

    def wall(self) -> float:
        """Unix seconds now, for timestamps in records (when a run started, an item queued)."""
        ...


def wall_time() -> float:
    """Unix seconds now from the system's wall clock (what every real clock's ``wall()`` is)."""
    return time.time()


class AnyioClock:
    """The event loop's monotonic clock (virtual under trio's ``MockClock``).

    Under a ``MockClock`` that jumps whenever every task waits, pass ``virtual=True``: blocking
    work then runs inline (:func:`run_blocking`), since time spent in a worker thread is
    invisible to the virtual clock, which would jump past every deadline while the thread works.
    """

    def __init__(self, *, virtual: bool = False) -> None:
        self.virtual = virtual

    def now(self) -> float:
        """The event loop's time."""
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await anyio.sleep(max(0.0, seconds))

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """``anyio.fail_after``."""
        return anyio.fail_after(seconds)

    def wall(self) -> float:
        """The system's wall clock."""
        return wall_time()


class LoopClock:
    """asyncio's loop clock read directly: what :class:`AnyioClock` reads, at a fraction of the cost.

    The engine switches to it on asyncio when no clock was given (the load generator's hot path
    reads the time several times per call).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self.now = self._loop.time  # type: ignore[method-assign]

    def now(self) -> float:
        """The loop's time."""
        return self._loop.time()

    async def sleep(self, seconds: float) -> None:
        """Sleep on the loop."""
        await asyncio.sleep(max(0.0, seconds))

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """A deadline on the loop (cheaper than ``anyio.fail_after`` on Python >= 3.11)."""
        if _HAS_UNCANCEL:
            return _LoopTimeout(self._loop, seconds)
        return anyio.fail_after(seconds)

    def wall(self) -> float:
        """The system's wall clock."""
        return wall_time()


class _LoopTimeout:
    """A synchronous-scope deadline for the current asyncio task (what asyncio.timeout does).

    When the deadline passes the task is cancelled; on exit that cancellation, and only that
    one, is turned into ``TimeoutError``. A cancellation from outside passes through untouched.
    """

    __slots__ = ("_fired", "_handle", "_loop", "_seconds", "_task")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self._loop = loop
        self._seconds = seconds
        self._fired = False

    def __enter__(self) -> _LoopTimeout:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("LoopClock.timeout() needs a running asyncio task")
        self._task = task
        self._handle = self._loop.call_later(max(0.0, self._seconds), self._fire)
        return self

    def _fire(self) -> None:
        self._fired = True
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._handle.cancel()
        remaining = self._task.uncancel() if self._fired else 1  # type: ignore[attr-defined,unused-ignore]
        if self._fired and remaining == 0 and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc


class PreciseClock:
    """Reads ``time.perf_counter`` and sleeps (and times out) on another clock.

    uvloop's ``loop.time()`` counts whole milliseconds and is read once per loop iteration,
    so a busy loop would hand every answer in an iteration the same stale timestamp; a load
    generator wants each answer's own time. Both clocks are monotonic seconds, and the engine
    only ever subtracts readings or sleeps for differences, so it can run on this one.
    """

    def __init__(self, inner: Clock) -> None:
        self._inner = inner
        self.now = time.perf_counter  # type: ignore[method-assign]

    def now(self) -> float:
        """``time.perf_counter()``."""
        return time.perf_counter()

    async def sleep(self, seconds: float) -> None:
        """The inner clock's sleep."""
        await self._inner.sleep(seconds)

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """The inner clock's deadline."""
        return self._inner.timeout(seconds)

    def wall(self) -> float:
        """The inner clock's wall time."""
        return self._inner.wall()


def clock_for_running_loop() -> Clock:
    """The cheapest correct clock for the running event loop."""
    try:
        import sniffio

        library = sniffio.current_async_library()
    except Exception:
        library = "unknown"
    return LoopClock() if library == "asyncio" else AnyioClock()


def measuring_clock() -> Clock:
    """The clock a load test measures with: :class:`PreciseClock` on asyncio, else the
    event loop's own (so trio's virtual clock in tests)."""
    clock = clock_for_running_loop()
    return PreciseClock(clock) if isinstance(clock, LoopClock) else clock


@dataclass(order=True, slots=True)
class _Due:
    """Something a :class:`VirtualClock` does when its time comes: wake a sleep, end a scope."""

    at: float
    seq: int
    fire: Callable[[], None] = field(compare=False)
    live: bool = field(default=True, compare=False)
    #: the waiting task has gone on (woken, timed out, or cancelled)
    left: bool = field(default=False, compare=False)


class VirtualClock:
    """Time that moves only when a test moves it (:meth:`advance`), on asyncio and trio alike.

    Independent of the event loop's own clock, so a test can prove that code sleeps and times
    out through the clock it was given: a 30 s deadline fires when the test advances 30 s, and
    no real time passes. ``wall()`` starts at ``wall_start`` (2026-01-01T00:00:00Z by default)
    and moves with :meth:`now`. A sleep or deadline of zero or less is due at once.
    """

    def __init__(self, start: float = 0.0, *, wall_start: float = 1_767_225_600.0) -> None:
        self._t = start
        self._wall_offset = wall_start - start
        self._due: list[_Due] = []
        self._seq = itertools.count()

    def now(self) -> float:
        """The virtual time."""
        return self._t

    def wall(self) -> float:
        """``wall_start`` plus the virtual time that has passed."""
        return self._t + self._wall_offset

    @property
    def waiting(self) -> int:
        """How many sleeps and deadlines are waiting for the time to move."""
        return sum(1 for d in self._due if d.live)

    async def until_waiting(self, count: int = 1, *, max_checkpoints: int = 100_000) -> None:
        """Let the other tasks run until ``count`` sleeps or deadlines wait on this clock (so a
        test advances the time once the code under test has reached its waits).

        Raises ``RuntimeError`` if they have not after ``max_checkpoints`` scheduling rounds.
        """
        for _ in range(max_checkpoints):
            if self.waiting >= count:
                return
            await anyio.lowlevel.checkpoint()
        raise RuntimeError(f"{self.waiting} waits on the clock, not {count}")

    async def sleep(self, seconds: float) -> None:
        """Wait until the test has advanced the time by ``seconds``."""
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        woken = anyio.Event()
        due = self._schedule(seconds, woken.set)
        try:
            await woken.wait()
        finally:
            due.live = False
            due.left = True

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """A scope cancelled (``TimeoutError``) once the time has advanced by ``seconds``."""
        return _VirtualTimeout(self, seconds)

    async def advance(self, seconds: float) -> None:
        """Move the time forward by ``seconds``, firing every sleep and deadline due on the way
        in order, each at its own time: the time moves on once the task it woke has gone on
        (or after a bounded number of scheduling rounds)."""
        if seconds < 0:
            raise ValueError("time does not go back")
        target = self._t + seconds
        while self._due and self._due[0].at <= target:
            due = heapq.heappop(self._due)
            if due.live:
                self._t = max(self._t, due.at)
                due.live = False
                due.fire()
                for _ in range(1000):
                    await anyio.lowlevel.checkpoint()
                    if due.left:
                        break
        self._t = target
        await anyio.lowlevel.checkpoint()

    def _schedule(self, seconds: float, fire: Callable[[], None]) -> _Due:
        due = _Due(self._t + max(0.0, seconds), next(self._seq), fire)
        if not math.isinf(due.at):
            heapq.heappush(self._due, due)
        return due


class _VirtualTimeout:
    """A cancel scope that a :class:`VirtualClock` cancels when its time comes."""

    def __init__(self, clock: VirtualClock, seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._fired = False
        self._scope = anyio.CancelScope()

    def __enter__(self) -> _VirtualTimeout:
        self._scope.__enter__()
        self._due = self._clock._schedule(self._seconds, self._fire)
        if self._seconds <= 0:
            self._due.live = False
            self._fire()
        return self

    def _fire(self) -> None:
        self._fired = True
        self._scope.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._due.live = False
        self._due.left = True
        suppress = self._scope.__exit__(exc_type, exc, tb)
        if self._fired and self._scope.cancelled_caught:
            raise TimeoutError
        return bool(suppress)


_T = TypeVar("_T")


async def run_blocking(clock: object, fn: Callable[[], _T]) -> _T:
    """Run blocking ``fn`` (a file write, a commit) in a worker thread, off the event loop.

    On a virtual clock (one with a true ``virtual`` attribute) ``fn`` runs inline instead: a
    virtual clock cannot see time spent in a thread, so deadlines would fire while it works.
    Once started in a thread, ``fn`` finishes even if the caller is cancelled meanwhile.
    """
    if getattr(clock, "virtual", False):
        return fn()
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn)
