"""The one place the engine reads time from, so tests can run it on virtual time."""

from __future__ import annotations

from typing import Protocol

import anyio


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class AnyioClock:
    """The event loop's monotonic clock (virtual under trio's ``MockClock``)."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))
