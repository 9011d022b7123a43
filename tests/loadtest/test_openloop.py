"""Open loop: latency counts from the intended start, so a stalled client cannot hide queueing."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats
from trio.testing import MockClock

from llmops.engine.clock import AnyioClock
from llmops.workflows.loadtest import LevelResult, LoadtestOptions
from llmops.workflows.loadtest.callers import Caller
from llmops.workflows.loadtest.level_run import LevelRun
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.openloop import arrival_times, run_open_level
from llmops.workflows.loadtest.shares import Part, part_options, part_seed
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


class InstantCaller(Caller):
    """Answers at once: each measured request ends at its intended arrival time."""

    def __init__(self) -> None:
        self.clock = AnyioClock()
        self.transitions = []

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        end = self.clock.now()
        rec.attempt(200, None)
        rec.success(end - t0, 1)
        return end


async def _arrivals(options: LoadtestOptions, rate: float, index: int = 0) -> np.ndarray:
    """The measured arrivals of one open-loop level (``rate``) as offsets into its window."""
    caller = InstantCaller()
    level = LevelRun(index, rate, options, caller, (), cpu_clock=lambda: 0.0)
    record = await run_open_level(level, caller, rate)
    assert record.start is not None
    return np.sort(record.ends - record.start)


async def test_the_parts_of_an_open_level_are_one_poisson_process_at_the_whole_rate() -> None:
    # each part (worker or shard) draws its own arrivals at rate R/2: pooled, they must be
    # Poisson at R (same seed in both parts would send every arrival twice, at once)
    rate, duration = 50.0, 20.0
    whole = LoadtestOptions(rates=(rate,), duration_s=duration, warmup=0, seed=3)
    parts = []
    for i in range(2):
        opts = part_options(whole, rate, Part(i, 2))
        assert opts is not None and opts.loads == (rate / 2,)
        parts.append(await _arrivals(opts, rate / 2))
    lam = rate * duration  # 1000 arrivals expected in the window
    for offsets in parts:  # each part got half the rate: 4 sigma of a Poisson count
        assert abs(offsets.size - lam / 2) <= 4 * math.sqrt(lam / 2)
        assert offsets.max() < duration
    pooled = np.sort(np.concatenate(parts))
    assert abs(pooled.size - lam) <= 4 * math.sqrt(lam)
    gaps = np.diff(np.concatenate([[0.0], pooled]))
    # exponential gaps at the whole rate (KS test; seeded, so the outcome is fixed)
    assert stats.kstest(gaps, "expon", args=(0, 1 / rate)).pvalue > 0.001


async def test_the_measured_window_holds_a_poisson_count_of_arrivals() -> None:
    # the window opens at the last warm-up arrival (or the level's start), so the arrivals in
    # a window of D seconds are Poisson(R x D): summed over 100 seeded levels, within 4 sigma
    # (40); a window opening at the first measured arrival would count one more each (+100)
    rate, duration, runs = 1.0, 1.0, 100
    total = 0
    for seed in range(runs):
        options = LoadtestOptions(
            rates=(rate,), duration_s=duration, warmup=3 * (seed % 2), seed=seed
        )
        total += (await _arrivals(options, rate)).size
    lam = rate * duration * runs
    assert abs(total - lam) <= 4 * math.sqrt(lam)


def test_each_part_draws_its_own_arrivals_and_one_part_is_the_whole_run() -> None:
    seeds = {part_seed(7, Part(i, 4)) for i in range(4)}
    assert len(seeds) == 4 and part_seed(7, Part(0, 1)) == 7
