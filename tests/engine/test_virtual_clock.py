"""VirtualClock: sleeps and deadlines that fire only when the test moves the time, in order."""

from __future__ import annotations

import anyio
import pytest

from llmops.engine.clock import VirtualClock

from .conftest import settle

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # real event loops: only the injected clock is virtual
    return str(request.param)


async def test_a_sleep_ends_when_the_time_has_moved_by_its_length() -> None:
    clock = VirtualClock(10.0)
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(3.0)
        woke.append(clock.now())

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper)
        await clock.until_waiting(1)
        await clock.advance(2.5)
        still_asleep = not await settle(lambda: bool(woke))
        await clock.advance(0.5)
        await settle(lambda: bool(woke))
        tg.cancel_scope.cancel()
    assert still_asleep
    assert woke == [13.0]


async def test_sleepers_wake_in_order_each_at_its_own_time() -> None:
    clock = VirtualClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async with anyio.create_task_group() as tg:
        for name, seconds in (("late", 5.0), ("early", 1.0), ("middle", 2.0)):
            tg.start_soon(sleeper, name, seconds)
        await clock.until_waiting(3)
        await clock.advance(10.0)
    assert woke == [("early", 1.0), ("middle", 2.0), ("late", 5.0)]
    assert clock.now() == 10.0


async def test_a_timeout_raises_timeout_error_once_its_time_has_come() -> None:
    clock = VirtualClock()
    outcome: list[str] = []

    async def waiter() -> None:
        try:
            with clock.timeout(30.0):
                await anyio.Event().wait()
        except TimeoutError:
            outcome.append(f"timed out at {clock.now():g}")

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await clock.until_waiting(1)
        await clock.advance(29.0)
        before = list(outcome)
        await clock.advance(1.0)
        await settle(lambda: bool(outcome))
        tg.cancel_scope.cancel()
    assert before == []
    assert outcome == ["timed out at 30"]


async def test_a_block_that_ends_in_time_is_left_alone() -> None:
    clock = VirtualClock()
    with clock.timeout(5.0):
        await anyio.lowlevel.checkpoint()
    assert clock.waiting == 0  # the deadline is withdrawn on exit
    await clock.advance(10.0)  # and firing nothing later


async def test_an_outer_cancellation_is_not_a_timeout() -> None:
    clock = VirtualClock()
    with anyio.CancelScope() as outer:
        with clock.timeout(5.0):
            outer.cancel()
            await anyio.Event().wait()
    assert outer.cancelled_caught


async def test_the_wall_clock_moves_with_the_virtual_time() -> None:
    clock = VirtualClock(100.0, wall_start=1_700_000_000.0)
    await clock.advance(2.5)
    assert (clock.now(), clock.wall()) == (102.5, 1_700_000_002.5)


async def test_time_does_not_go_back() -> None:
    with pytest.raises(ValueError, match="back"):
        await VirtualClock().advance(-1.0)


async def test_a_deadline_of_zero_has_passed_already() -> None:
    clock = VirtualClock()
    with pytest.raises(TimeoutError), clock.timeout(0.0):
        await anyio.lowlevel.checkpoint()
    assert clock.now() == 0.0
