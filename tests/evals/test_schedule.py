"""--every: the scheduler on trio's virtual clock; the run lock; durations."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import anyio
import pytest
from trio.testing import MockClock

from llmops.durations import parse_duration
from llmops.engine.clock import AnyioClock
from llmops.errors import InputError
from llmops.workflows.evals.schedule import LockHeld, RunLock, run_every

HOUR = 3600.0


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400.0), ("30m", 1800.0), ("1h30m", 5400.0), ("90", 90.0), ("7d", 604800.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["24 hours", "0s", "-1", "h"])
def test_bad_duration_is_bad_input(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


@pytest.mark.anyio
async def test_runs_at_the_interval_on_virtual_time(tmp_path: Path) -> None:
    clock = AnyioClock()
    start = clock.now()
    times: list[float] = []

    async def job() -> int:
        times.append(clock.now() - start)
        await clock.sleep(600)  # a run takes ten minutes
        return 0

    await run_every(job, 24 * HOUR, clock=clock, lock_path=tmp_path / "l", max_runs=3)
    assert times == pytest.approx([0.0, 24 * HOUR, 48 * HOUR])


@pytest.mark.anyio
async def test_jitter_delays_within_bounds(tmp_path: Path) -> None:
    clock = AnyioClock()
    start = clock.now()
    times: list[float] = []

    async def job() -> int:
        times.append(clock.now() - start)
        return 0

    await run_every(
        job,
        HOUR,
        clock=clock,
        lock_path=tmp_path / "l",
        jitter_s=300,
        rng=random.Random(1),
        max_runs=4,
    )
    offsets = [t - i * HOUR for i, t in enumerate(times)]
    assert all(0 <= o <= 300 for o in offsets) and len(set(offsets)) > 1


@pytest.mark.anyio
async def test_a_failed_run_does_not_stop_the_schedule(tmp_path: Path) -> None:
    calls = 0

    async def job() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("mock down")
        return 1

    ticks = await run_every(job, HOUR, clock=AnyioClock(), lock_path=tmp_path / "l", max_runs=2)
    assert [(t.outcome, t.exit_code) for t in ticks] == [("failed", None), ("ran", 1)]
    assert "mock down" in ticks[0].detail


@pytest.mark.anyio
async def test_a_held_lock_skips_the_run(tmp_path: Path) -> None:
    ran = False

    async def job() -> int:
        nonlocal ran
        ran = True
        return 0

    with RunLock(tmp_path / "l"):
        ticks = await run_every(job, HOUR, clock=AnyioClock(), lock_path=tmp_path / "l", max_runs=1)
    assert (ticks[0].outcome, ran) == ("skipped", False)


@pytest.mark.anyio
async def test_never_two_runs_at_once(tmp_path: Path) -> None:
    clock = AnyioClock()
    active = peak = 0

    async def job() -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await clock.sleep(2 * HOUR)  # longer than the interval
        active -= 1
        return 0

    async with anyio.create_task_group() as tg:  # two schedulers sharing one lock file
        for _ in range(2):
            tg.start_soon(
                lambda: run_every(job, HOUR, clock=clock, lock_path=tmp_path / "l", max_runs=3)
            )
    assert peak == 1


def test_lock_is_released_after_an_exception(tmp_path: Path) -> None:
    with pytest.raises(ValueError), RunLock(tmp_path / "l"):
        raise ValueError
    with RunLock(tmp_path / "l"):
        pass


def test_lock_conflict_raises(tmp_path: Path) -> None:
    with RunLock(tmp_path / "l"), pytest.raises(LockHeld), RunLock(tmp_path / "l"):
        pass
