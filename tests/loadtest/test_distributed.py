"""A load test in parts: shards merged give one run's report; limits hold for the whole run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from llmops.config import config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.errors import InputError
from llmops.mock import MockTransport
from llmops.workflows.loadtest import LevelFinished, LoadtestOptions, Target, target_from_url
from llmops.workflows.loadtest.distributed import ShareRun, run_in_parts
from llmops.workflows.loadtest.partial import merge_partials, partial_to_json, run_id_for
from llmops.workflows.loadtest.shares import Part, part_config, part_options
from llmops.workflows.service import FunctionTarget
from llmops.workflows.target import service_target
from tests.loadtest.conftest import profile, run

LEVELS = (2, 4, 8, 16)


def _target(**limits: Any) -> Target:
    base = config_from_dict({"limits": limits}, source="test") if limits else None
    return target_from_url("http://mock.test/v1", "openai", "mock-1", local=True, base=base)


async def _shards(
    options: LoadtestOptions, transport: MockTransport, target: Target, count: int = 2
) -> list[ShareRun]:
    """``count`` shards run at once in this event loop over one mock (one server's capacity)."""
    runs: dict[int, ShareRun] = {}
    clock = AnyioClock()

    async def shard(i: int) -> None:
        runs[i] = await run_in_parts(
            options, target, shard=Part(i, count), transport=transport, clock=clock
        )

    async with anyio.create_task_group() as group:
        for i in range(count):
            group.start_soon(shard, i)
    return [runs[i] for i in range(count)]


def _write(runs: list[ShareRun], tmp_path: Path, run_id: str = "run-a") -> list[Path]:
    paths = []
    for share in runs:
        path = tmp_path / f"part-{share.shard.index + 1}.json"
        path.write_bytes(orjson.dumps(partial_to_json(share, run_id)))
        paths.append(path)
    return paths


@pytest.mark.anyio
async def test_two_shards_merged_have_the_structure_of_one_run(tmp_path: Path) -> None:
    options = LoadtestOptions(levels=LEVELS, requests=80)
    whole = await run(options)
    runs = await _shards(options, MockTransport(profile(), clock=AnyioClock()), _target())
    merged = merge_partials(_write(runs, tmp_path))
    assert [lv.load for lv in merged.levels] == [lv.load for lv in whole.levels]
    assert [lv.requests for lv in merged.levels] == [lv.requests for lv in whole.levels]
    assert whole.verdict.knee is not None and merged.verdict.knee is not None
    assert merged.verdict.knee.load == whole.verdict.knee.load
    # each shard ran half of every level's clients
    assert [r.load for r in runs[0].records] == [1, 2, 4, 8]


@pytest.mark.anyio
async def test_two_shards_never_admit_more_than_the_configured_concurrency() -> None:
    mock = MockTransport(profile(capacity={"slots": 16, "queue": 0}), clock=AnyioClock())
    options = LoadtestOptions(levels=(12,), requests=60)
    runs = await _shards(options, mock, _target(max_concurrency=3))
    assert sum(r.records[0].requests for r in runs) == 60
    assert 0 < mock.app.stats.max_in_flight <= 3


@pytest.mark.anyio
async def test_without_division_the_same_shards_exceed_it() -> None:
    # the control for the test above: the mock does see more when the limit is not shared
    mock = MockTransport(profile(capacity={"slots": 16, "queue": 0}), clock=AnyioClock())
    target = _target(max_concurrency=3)
    clock = AnyioClock()
    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(
                lambda: run_in_parts(
                    LoadtestOptions(levels=(12,), requests=30),
                    target,
                    transport=mock,
                    clock=clock,
                )
            )
    assert mock.app.stats.max_in_flight > 3


@pytest.mark.parametrize("load", [1, 3, 7, 16, 101])
@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_shares_add_up_to_the_whole_level(load: int, count: int) -> None:
    options = LoadtestOptions(levels=(load,), requests=max(count, 50), warmup=5)
    shares = [part_options(options, load, Part(i, count)) for i in range(count)]
    present = [s for s in shares if s is not None]
    assert sum(s.levels[0] for s in present) == load
    assert sum(s.requests or 0 for s in present) == options.requests
    assert sum(s.warmup or 0 for s in present) == 5


def test_open_loop_rates_add_up_to_the_asked_rate() -> None:
    options = LoadtestOptions(rates=(10.0,), requests=100)
    shares = [part_options(options, 10.0, Part(i, 3)) for i in range(3)]
    assert sum(s.rates[0] for s in shares if s is not None) == pytest.approx(10.0)


def test_limits_are_divided_among_parts_unless_one_limiter_is_shared() -> None:
    config = _target(requests_per_minute=600, tokens_per_minute=90_000, max_concurrency=5).config
    parts = [part_config(config, Part(i, 2), shared_limiter=False) for i in range(2)]
    assert [p.limits.requests_per_minute for p in parts] == [300, 300]
    assert [p.limits.tokens_per_minute for p in parts] == [45_000, 45_000]
    assert sorted(p.limits.max_concurrency for p in parts) == [2, 3]
    shared = part_config(config, Part(0, 2), shared_limiter=True)
    assert shared.limits.requests_per_minute == 600
    # a concurrency limit is per process even with shared state
    assert shared.limits.max_concurrency == 3


def test_a_concurrency_limit_smaller_than_the_parts_is_refused() -> None:
    config = _target(max_concurrency=2).config
    with pytest.raises(InputError, match=r"limits\.max_concurrency: 2 cannot be shared among 3"):
        part_config(config, Part(0, 3), shared_limiter=False)


@pytest.fixture
async def partials(tmp_path: Path) -> list[Path]:
    options = LoadtestOptions(levels=(2, 4), requests=20)
    runs = await _shards(options, MockTransport(profile(), clock=AnyioClock()), _target())
    return _write(runs, tmp_path)


def _edit(path: Path, name: str, **changes: Any) -> Path:
    data = orjson.loads(path.read_bytes())
    data.update(changes)
    out = path.with_name(name)
    out.write_bytes(orjson.dumps(data))
    return out


@pytest.mark.anyio
async def test_merge_refuses_parts_it_cannot_merge(partials: list[Path], tmp_path: Path) -> None:
    one, two = partials
    other_run = _edit(two, "other-run.json", run_id="run-b")
    data = orjson.loads(two.read_bytes())
    data["options"]["levels"] = [2, 5]
    other_levels = _edit(two, "other-levels.json", options=data["options"])
    not_partial = tmp_path / "loadtest-latest.json"
    not_partial.write_bytes(orjson.dumps({"schema": "llmops.loadtest", "levels": []}))
    cases = [
        ([one, other_run], "is from run run-b"),
        ([one, other_levels], "has levels 2,5"),
        ([one], "missing shard 2/2 of run run-a"),
        ([one, one], "shard 1/2 given twice"),
        ([one, not_partial], "not a partial load-test report"),
        ([one, tmp_path / "nope.json"], "nope.json: no such file"),
    ]
    for paths, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            merge_partials(list(paths))


def test_shards_agree_on_the_run_id_without_talking() -> None:
    options = LoadtestOptions(levels=(2, 4), requests=20)
    assert run_id_for(options, 2, "m", 1.0e9) == run_id_for(options, 2, "m", 1.0e9)
    assert run_id_for(options, 2, "m", 1.0e9) != run_id_for(options, 2, "m", 1.0e9 + 60)
    assert run_id_for(options, 2, "m", None) != run_id_for(options, 3, "m", None)


@pytest.mark.anyio
@pytest.mark.parametrize("divided", [True, False])
async def test_two_shards_hold_the_requests_per_minute_limit_only_when_it_is_divided(
    divided: bool,
) -> None:
    # 120 requests/min with 1 s of burst: at most 2 at once plus 2 a second, in all
    mock = MockTransport(profile(capacity={"slots": 16, "queue": 0}), clock=AnyioClock())
    clock = AnyioClock()
    at = _target(requests_per_minute=120, burst=1)
    options = LoadtestOptions(levels=(4,), duration_s=5.0, warmup=0)
    t0 = clock.now()
    if divided:
        await _shards(options, mock, at)
    else:  # the control: two whole runs, each with the whole limit
        async with anyio.create_task_group() as group:
            for _ in range(2):
                group.start_soon(lambda: run_in_parts(options, at, transport=mock, clock=clock))
    allowed = 2 + 2 * (clock.now() - t0)
    if divided:
        assert 0 < mock.app.stats.requests <= allowed
    else:
        assert mock.app.stats.requests > allowed


@pytest.mark.anyio
async def test_a_stopped_share_keeps_the_levels_that_finished() -> None:
    stop = anyio.Event()

    def stop_after_first(event: object) -> None:
        if isinstance(event, LevelFinished) and event.index == 0:
            stop.set()

    share = await run_in_parts(
        LoadtestOptions(levels=(2, 4, 8), requests=10, warmup=0),
        _target(),
        shard=Part(0, 2),
        transport=MockTransport(profile(), clock=AnyioClock()),
        clock=AnyioClock(),
        observers=[stop_after_first],
        stop=stop,
    )
    assert share.result.interrupted and len(share.records) == 1
    assert share.result.stop_reason == "interrupted after 1 of 3 levels"
    assert share.result.skipped_loads == [4, 8]


@pytest.mark.anyio
async def test_a_shard_with_no_clients_at_a_level_still_merges(tmp_path: Path) -> None:
    options = LoadtestOptions(levels=(1, 4), requests=10)
    runs = await _shards(options, MockTransport(profile(), clock=AnyioClock()), _target())
    # shard 2 had no client at level 1: its table shows only its share of level 4
    assert [lv.load for lv in runs[1].result.levels] == [2]
    assert [r.requests for r in runs[1].records] == [0, 5]
    merged = merge_partials(_write(runs, tmp_path))
    assert [(lv.load, lv.requests) for lv in merged.levels] == [(1, 10), (4, 10)]


def test_workers_auto_is_the_cores_and_a_number_is_itself() -> None:
    from llmops.workflows.loadtest.options import parse_shard, parse_workers

    assert parse_workers("auto", cpu_count=3) == 3
    assert parse_workers("AUTO", cpu_count=None) >= 1
    assert parse_workers("2") == 2
    assert parse_shard(" 2 / 5 ") == (1, 5)


@pytest.mark.anyio
async def test_merged_shards_of_a_feature_keep_its_kind_and_its_words(tmp_path: Path) -> None:
    async def broken(prompt: str) -> str:
        await anyio.sleep(0.01)
        raise LookupError("no such customer")

    target = service_target(FunctionTarget("tests:broken", broken, "async"))
    options = LoadtestOptions(levels=(2, 4), requests=20, warmup=0)
    runs = await _shards(options, MockTransport(profile(), clock=AnyioClock()), target)
    merged = merge_partials(_write(runs, tmp_path))
    assert merged.target_kind == "function" and merged.end_to_end
    text = " ".join(merged.verdict.lines)
    assert "the feature's errors: raised LookupError: no such customer x40" in text
    assert "upstream" not in text
