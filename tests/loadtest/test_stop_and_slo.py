"""Stop-early and the SLO gate, on the ladder against the in-process mock."""

from __future__ import annotations

import pytest

from llmops.workflows.loadtest import LoadtestOptions, parse_slo
from tests.loadtest.conftest import profile, run

pytestmark = pytest.mark.anyio

DOWN = profile(faults={"outages": [{"start_s": 0, "status": 503}]})


async def test_ladder_stops_after_a_level_below_the_threshold() -> None:
    options = LoadtestOptions(levels=(2, 4, 8), requests=60, raw=True, stop_on_success_below=0.5)
    result = await run(options, DOWN)
    assert [lv.load for lv in result.levels] == [2]
    assert result.skipped_loads == [4, 8]


async def test_a_failing_level_is_cut_short() -> None:
    options = LoadtestOptions(levels=(2,), requests=1000, raw=True, stop_on_success_below=0.5)
    result = await run(options, DOWN)
    assert result.levels[0].stopped_early and result.levels[0].requests < 1000


async def test_slo_met_at_the_peak_passes() -> None:
    options = LoadtestOptions(
        levels=(2, 4, 8), requests=40, slo=tuple(parse_slo("p95<=250ms,success>=99%")), peak=4
    )
    result = await run(options)
    assert result.verdict.slo is not None and result.verdict.slo.passed
    assert not result.slo_failed


async def test_slo_missed_at_the_peak_fails_the_gate() -> None:
    # at 8 clients half of them wait a whole service time for a slot: p95 is 400 ms
    options = LoadtestOptions(
        levels=(2, 4, 8), requests=40, slo=tuple(parse_slo("p95<=250ms")), peak=8
    )
    result = await run(options)
    assert result.slo_failed
    assert result.verdict.slo is not None
    assert result.verdict.slo.checks[0].measured == pytest.approx(0.4, abs=0.01)


async def test_slo_fails_when_the_peak_level_never_ran() -> None:
    options = LoadtestOptions(
        levels=(2, 4),
        requests=60,
        raw=True,
        stop_on_success_below=0.5,
        slo=tuple(parse_slo("success>=50%")),
        peak=4,
    )
    result = await run(options, DOWN)
    assert result.slo_failed
