"""Open loop: latency counts from the intended start, so a stalled client cannot hide queueing."""

from __future__ import annotations

import random

import pytest
from trio.testing import MockClock

from llmops.engine.clock import AnyioClock
from llmops.workflows.loadtest import LevelResult, LoadtestOptions
from llmops.workflows.loadtest.callers import Caller
from llmops.workflows.loadtest.level_run import LevelRun
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.openloop import arrival_times, run_open_level
from tests.loadtest.conftest import run

pytestmark = pytest.mark.anyio

SERVICE_S = 0.05


class StallingCaller(Caller):
    """Answers in exactly SERVICE_S; the first call stalls the client for 1 s first, as a
    client hogging its event loop would, so the arrivals due meanwhile are sent late."""

    def __init__(self, clock: MockClock) -> None:
        self.clock = AnyioClock()
        self.transitions = []
        self._mock_clock = clock

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        if index == 0:
            self._mock_clock.jump(1.0)
        await self.clock.sleep(SERVICE_S)
        end = self.clock.now()
        rec.attempt(200, None)
        rec.success(end - t0, 1)
        return end


async def _stalled_level(mock_clock: MockClock) -> LevelResult:
    options = LoadtestOptions(rates=(100,), requests=50)
    caller = StallingCaller(mock_clock)
    level = LevelRun(0, 100, options, caller, (), cpu_clock=lambda: 0.0)
    return (await run_open_level(level, caller, 100)).summary()


async def test_latency_counts_from_the_intended_start(mock_clock: MockClock) -> None:
    level = await _stalled_level(mock_clock)
    assert level.latency_ms is not None and level.latency_ms["p50"] > 500


async def test_service_latency_counts_from_the_actual_send(mock_clock: MockClock) -> None:
    level = await _stalled_level(mock_clock)
    assert level.service_latency_ms is not None
    assert level.service_latency_ms["p90"] == pytest.approx(SERVICE_S * 1000, abs=1)


async def test_late_arrivals_mark_the_level_client_bound(mock_clock: MockClock) -> None:
    level = await _stalled_level(mock_clock)
    assert level.client_bound


def test_arrivals_are_poisson_at_the_rate() -> None:
    times = arrival_times(20.0, 20_000, random.Random(1))
    assert len(times) / times[-1] == pytest.approx(20.0, rel=0.03)


async def test_open_loop_over_capacity_queues_then_sheds() -> None:
    # 4 slots x 0.2 s: 20 answers/s at most; 40/s offered overflows the mock's queue
    result = await run(LoadtestOptions(rates=(5, 10, 40), requests=80, raw=True))
    assert result.verdict.knee is not None and result.verdict.knee.load == 40
