"""Fixtures for the mock's tests: a step clock, and asyncio as the default anyio backend."""

from __future__ import annotations

from contextlib import AbstractContextManager

import anyio
import anyio.lowlevel
import pytest


@pytest.fixture
def anyio_backend() -> str:
    # aiohttp (the loopback server) runs on asyncio only; in-process tests opt into trio too
    return "asyncio"


class StepClock:
    """A clock whose sleeps advance time at once and are recorded."""

    def __init__(self, start: float = 100.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(max(0.0, seconds), 9))
        self.t += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()

    def timeout(self, seconds: float) -> AbstractContextManager[object]:
        return anyio.fail_after(seconds)


@pytest.fixture
def step_clock() -> StepClock:
    return StepClock()
