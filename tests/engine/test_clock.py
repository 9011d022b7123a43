"""LoopClock's cheap timeout scope on asyncio: fires, stays quiet, never swallows outer cancels."""

from __future__ import annotations

import asyncio
import sys

import pytest

from llmops.engine.clock import LoopClock, PreciseClock, clock_for_running_loop, measuring_clock

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="uses Task.uncancel (Python 3.11+)"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_timeout_raises_timeout_error_when_the_deadline_passes() -> None:
    clock = LoopClock()
    with pytest.raises(TimeoutError), clock.timeout(0.01):
        await asyncio.Event().wait()
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_timeout_does_nothing_when_the_block_finishes_in_time() -> None:
    clock = LoopClock()
    with clock.timeout(60):
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # no stray cancellation arrives later


async def test_an_outer_cancellation_passes_through() -> None:
    clock = LoopClock()
    started = asyncio.Event()

    async def inner() -> None:
        with clock.timeout(60):
            started.set()
            await asyncio.Event().wait()

    task = asyncio.ensure_future(inner())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_engine_picks_the_loop_clock_on_asyncio() -> None:
    assert isinstance(clock_for_running_loop(), LoopClock)


async def test_the_load_generator_measures_with_perf_counter_on_asyncio() -> None:
    clock = measuring_clock()
    assert isinstance(clock, PreciseClock)
    with pytest.raises(TimeoutError), clock.timeout(0.01):  # deadlines stay the loop's
        await asyncio.Event().wait()
