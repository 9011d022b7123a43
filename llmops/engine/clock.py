"""The one place the engine reads time from, so tests can run it on virtual time."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Protocol

import anyio

_HAS_UNCANCEL = hasattr(asyncio.Task, "uncancel")


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        """A scope that raises ``TimeoutError`` when ``seconds`` pass before it exits."""
        ...


class LoopClock:
    """asyncio's loop clock read directly: what :class:`AnyioClock` reads, at a fraction of the cost.

    The engine switches to it on asyncio when no clock was given (the load generator's hot path
    reads the time several times per call).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop or asyncio.get_running_loop()
        self.now = self._loop.time  # type: ignore[method-assign]

    def now(self) -> float:
        return self._loop.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        if _HAS_UNCANCEL:  # Python >= 3.11: several times cheaper than anyio.fail_after
            return _LoopTimeout(self._loop, seconds)
        return anyio.fail_after(seconds)


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


def clock_for_running_loop() -> Clock:
    """The cheapest correct clock for the running event loop."""
    try:
        import sniffio

        library = sniffio.current_async_library()
    except Exception:
        library = "unknown"
    return LoopClock() if library == "asyncio" else AnyioClock()


class AnyioClock:
    """The event loop's monotonic clock (virtual under trio's ``MockClock``)."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        return anyio.fail_after(seconds)
