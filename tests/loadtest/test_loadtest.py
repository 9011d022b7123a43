"""The ladder against the in-process mock on virtual time: it finds the profile's knee."""

from __future__ import annotations

import pytest

from llmops.workflows.loadtest import LevelFinished, LevelStarted, LoadtestEvent, LoadtestOptions
from tests.loadtest.conftest import profile, run

pytestmark = pytest.mark.anyio


async def test_knee_is_where_the_profile_runs_out_of_slots() -> None:
    # 4 slots: 2 and 4 clients are served at once, 8 wait for a slot (latency doubles)
    result = await run(LoadtestOptions(levels=(2, 4, 8, 16), requests=40))
    assert result.verdict.knee is not None
    assert result.verdict.knee.load == 8


async def test_raw_mode_finds_the_same_knee() -> None:
    result = await run(LoadtestOptions(levels=(2, 4, 8, 16), requests=40, raw=True))
    assert result.verdict.knee is not None and result.verdict.knee.load == 8


async def test_latency_below_the_knee_is_the_service_time() -> None:
    result = await run(LoadtestOptions(levels=(4,), requests=40))
    latency = result.levels[0].latency_ms
    assert latency is not None and latency["p50"] == pytest.approx(200, abs=1)


async def test_over_capacity_raw_calls_fail_with_503() -> None:
    result = await run(LoadtestOptions(levels=(16,), requests=64, raw=True))
    level = result.levels[0]
    assert level.errors_by_class.get("overloaded", 0) > 0
    assert level.errors_by_status.get("503", 0) == level.errors_by_class["overloaded"]


async def test_recommended_queue_limit_is_slightly_below_the_knee() -> None:
    result = await run(LoadtestOptions(levels=(2, 4, 8), requests=40))
    assert result.verdict.recommended_queue_limit == 7


async def test_no_knee_says_the_ceiling_is_above_the_highest_level() -> None:
    result = await run(LoadtestOptions(levels=(1, 2, 4), requests=20))
    assert result.verdict.knee is None
    assert "above the highest level tried" in result.verdict.lines[0]


async def test_engine_retries_show_as_amplification() -> None:
    flaky = profile(faults={"error_rates": {"503": 0.3}}, capacity={"slots": 100})
    result = await run(LoadtestOptions(levels=(4,), requests=100), flaky)
    level = result.levels[0]
    assert level.amplification > 1.1
    assert level.upstream_success_rate < level.success_rate


async def test_stream_measures_ttft_and_inter_token_latency() -> None:
    result = await run(LoadtestOptions(levels=(2,), requests=10, stream=True))
    level = result.levels[0]
    assert level.ttft_ms is not None and level.ttft_ms["p50"] == pytest.approx(100, abs=1)
    assert level.itl_ms is not None and level.itl_ms["p50"] == pytest.approx(2, abs=0.5)


async def test_warmup_requests_are_not_measured() -> None:
    result = await run(LoadtestOptions(levels=(4,), requests=12, warmup=4))
    assert (result.levels[0].requests, result.levels[0].warmup) == (12, 4)


async def test_duration_bounds_a_level_in_time() -> None:
    result = await run(LoadtestOptions(levels=(4,), duration_s=2.0))
    # 4 clients x 0.2 s per answer: about 40 answers in 2 s
    assert 36 <= result.levels[0].requests <= 44


async def test_progress_events_frame_each_level() -> None:
    seen: list[LoadtestEvent] = []
    await run(LoadtestOptions(levels=(2, 4), requests=10), observers=[seen.append])
    framing = [type(e) for e in seen if isinstance(e, (LevelStarted, LevelFinished))]
    assert framing == [LevelStarted, LevelFinished, LevelStarted, LevelFinished]


async def test_throughput_is_not_understated_by_the_drain_at_the_end_of_a_level() -> None:
    # 2 clients, 0.2 s per answer: 10 answers/s. The 3rd measured request runs alone after
    # the others are done; counting that drain in the window would say 7.5/s.
    result = await run(LoadtestOptions(levels=(2,), requests=3))
    level = result.levels[0]
    assert level.throughput_rps == pytest.approx(10.0)
    assert level.in_flight_mean == pytest.approx(2.0)


async def test_shed_clients_come_back_when_told_instead_of_spinning() -> None:
    # The engine admits 4 calls and queues none: 8 clients, so about half are shed at any
    # moment. Were a shed client to retry at once, instant refusals would use up the level's
    # requests while the admitted calls are still running, and success would read ~0%.
    from llmops import config_from_dict
    from llmops.engine.clock import AnyioClock
    from llmops.mock import MockTransport
    from llmops.workflows.loadtest import run_loadtest, target_from_url

    limits = config_from_dict({"limits": {"max_concurrency": 4, "queue_limit": 0}})
    target = target_from_url("http://mock.test/v1", "openai", "mock-1", base=limits, local=True)
    clock = AnyioClock()
    result = await run_loadtest(
        LoadtestOptions(levels=(8,), requests=80, warmup=0),
        target,
        transport=MockTransport(profile(), clock=clock),
        clock=clock,
        cpu_clock=lambda: 0.0,
    )
    level = result.levels[0]
    assert level.errors_by_class.get("shed", 0) > 0
    assert level.success_rate > 0.3
