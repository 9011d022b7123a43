"""The concurrency gate times a queued call's wait on the clock it was given."""

from __future__ import annotations

import anyio
import pytest

from llmops.engine.clock import VirtualClock
from llmops.engine.gate import ConcurrencyGate
from llmops.errors import CapacityExceeded, DeadlineExceeded

from .conftest import settle

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # real event loops: a wait that honoured the loop's clock would not end when the test
    # moves the injected one
    return str(request.param)


async def test_a_queued_wait_times_out_on_the_gates_clock() -> None:
    clock = VirtualClock()
    gate = ConcurrencyGate(1, 1, clock=clock)
    release = anyio.Event()
    outcome: list[object] = []

    async def holder() -> None:
        async with gate.slot():
            await release.wait()

    async def queued() -> None:
        try:
            async with gate.slot(timeout_s=30.0):
                outcome.append("admitted")
        except DeadlineExceeded as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await settle(lambda: gate.in_flight == 1)
        tg.start_soon(queued)
        await clock.until_waiting(1)
        await clock.advance(29.5)
        early = await settle(lambda: bool(outcome))
        await clock.advance(0.5)
        await settle(lambda: bool(outcome))
        release.set()
        tg.cancel_scope.cancel()  # whatever happened, the test ends here
    assert not early
    assert len(outcome) == 1 and isinstance(outcome[0], DeadlineExceeded)
    assert "waited 30s in the queue" in str(outcome[0])
    assert gate.waiting == 0 and gate.in_flight == 0


async def test_a_slot_freed_before_the_deadline_admits_the_queued_call() -> None:
    clock = VirtualClock()
    gate = ConcurrencyGate(1, 1, clock=clock)
    release = anyio.Event()
    outcome: list[object] = []

    async def holder() -> None:
        async with gate.slot():
            await release.wait()

    async def queued() -> None:
        async with gate.slot(timeout_s=30.0):
            outcome.append(gate.in_flight)

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await settle(lambda: gate.in_flight == 1)
        tg.start_soon(queued)
        await clock.until_waiting(1)
        release.set()
        await settle(lambda: bool(outcome))
        tg.cancel_scope.cancel()
    assert outcome == [1]
    assert clock.waiting == 0  # the deadline went with the wait


async def test_a_full_queue_sheds_at_once() -> None:
    gate = ConcurrencyGate(1, 0, clock=VirtualClock())
    async with gate.slot():
        with pytest.raises(CapacityExceeded):
            async with gate.slot(timeout_s=30.0):
                pass
