"""A closed-loop level's rate is what Little's law says: clients over the mean service time."""

from __future__ import annotations

import random

import pytest

from llmops.engine.clock import AnyioClock
from llmops.workflows.loadtest import LoadtestOptions
from llmops.workflows.loadtest.callers import Caller
from llmops.workflows.loadtest.level_run import LevelRun, run_closed_level
from llmops.workflows.loadtest.metrics import LevelRecorder

pytestmark = pytest.mark.anyio


class VaryingTimeCaller(Caller):
    """Answers in a service time drawn uniformly from 0.5 to 1.5 times ``service_s`` (virtual
    time, seeded): so the warm-up answers are still arriving when the measured window opens."""

    def __init__(self, service_s: float) -> None:
        self.clock = AnyioClock()
        self.transitions = []
        self.service_s = service_s
        self.rng = random.Random(7)

    async def one(self, index: int, t0: float, rec: LevelRecorder, warmup: bool = False) -> float:
        await self.clock.sleep(self.service_s * self.rng.uniform(0.5, 1.5))
        end = self.clock.now()
        rec.attempt(200, None)
        rec.success(end - t0, 1)
        return end


@pytest.mark.parametrize(("clients", "service_s"), [(10, 0.4), (50, 0.8), (100, 1.1)])
async def test_the_rate_of_a_saturated_closed_level_is_clients_over_the_service_time(
    mock_clock: object, clients: int, service_s: float
) -> None:
    # every client is always busy, so completions come at clients / mean service time per
    # second (Little's law); the warm-up answers still arriving when the window opens are
    # part of that work
    options = LoadtestOptions(levels=(clients,), requests=20 * clients, warmup=clients)
    caller = VaryingTimeCaller(service_s)
    run = LevelRun(0, clients, options, caller, (), cpu_clock=lambda: 0.0)
    level = (await run_closed_level(run, caller, clients)).summary()
    assert level.latency_ms is not None
    mean_s = level.latency_ms["mean"] / 1000
    assert mean_s == pytest.approx(service_s, rel=0.1)
    assert level.throughput_rps == pytest.approx(clients / mean_s, rel=0.03)
