"""A load test reads every time through its clock: the start stamp and the run's duration."""

from __future__ import annotations

import pytest

from llmops.engine.clock import AnyioClock
from llmops.mock import MockTransport
from llmops.workflows.loadtest import LoadtestOptions, run_loadtest
from tests.loadtest.conftest import profile, target

pytestmark = pytest.mark.anyio

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class FixedWallClock(AnyioClock):
    """The (virtual) event loop's clock, with a wall clock stopped at ``T0``."""

    def wall(self) -> float:
        return T0


async def test_the_run_is_stamped_and_timed_by_its_clock() -> None:
    clock = FixedWallClock()
    began = clock.now()
    result = await run_loadtest(
        LoadtestOptions(levels=(4,), requests=20),
        target(),
        transport=MockTransport(profile(), clock=clock),
        clock=clock,
        cpu_clock=lambda: 0.0,
    )
    elapsed = clock.now() - began
    assert result.started_at == "2026-01-01T00:00:00+00:00"
    # 4 clients, 0.2 s answers: the run took whole virtual seconds, and the result says so
    assert 0.0 < result.wall_s <= elapsed
    assert result.wall_s >= 0.2 * 20 / 4
