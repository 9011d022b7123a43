"""Stopping a ladder (Ctrl-C on the command line): run_loadtest itself returns what finished."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from llmops.cli import loadtest_cmd
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult
from llmops.workflows.loadtest.events import LevelFinished, LevelStarted, LoadtestEvent
from tests.loadtest.conftest import run


class StopAt:
    """An observer that sets ``stop`` when an event matches, as Ctrl-C would at that moment."""

    def __init__(self, stop: anyio.Event, kind: type, index: int) -> None:
        self.stop, self.kind, self.index = stop, kind, index
        self.seen: list[LoadtestEvent] = []

    def __call__(self, event: LoadtestEvent) -> None:
        self.seen.append(event)
        if isinstance(event, self.kind) and getattr(event, "index", None) == self.index:
            self.stop.set()


@pytest.mark.anyio
async def test_stop_after_a_level_returns_the_finished_levels_marked_interrupted() -> None:
    stop = anyio.Event()
    options = LoadtestOptions(levels=(2, 4, 8), requests=10, warmup=0)
    result = await run(options, observers=[StopAt(stop, LevelFinished, 0)], stop=stop)
    assert result.interrupted
    assert [lv.load for lv in result.levels] == [2]
    assert result.skipped_loads == [4, 8]
    assert result.stop_reason == "interrupted after 1 of 3 levels"


@pytest.mark.anyio
async def test_stop_during_a_level_drops_that_level_unmeasured() -> None:
    stop = anyio.Event()
    observer = StopAt(stop, LevelStarted, 1)
    options = LoadtestOptions(levels=(2, 4), requests=10, warmup=0)
    result = await run(options, observers=[observer], stop=stop)
    assert result.interrupted and [lv.load for lv in result.levels] == [2]
    assert not any(isinstance(e, LevelFinished) and e.index == 1 for e in observer.seen)


@pytest.mark.anyio
async def test_a_stop_never_set_changes_nothing() -> None:
    result = await run(LoadtestOptions(levels=(2, 4), requests=10, warmup=0), stop=anyio.Event())
    assert not result.interrupted and result.stop_reason is None
    assert [lv.load for lv in result.levels] == [2, 4]


@pytest.mark.anyio
async def test_a_stop_before_the_first_level_returns_an_empty_interrupted_result() -> None:
    stop = anyio.Event()
    stop.set()
    result = await run(LoadtestOptions(levels=(2,), requests=10), stop=stop)
    assert result.interrupted and result.levels == [] and result.skipped_loads == [2]


def test_the_cli_renders_an_interrupted_run_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import trio
    from trio.testing import MockClock
    from typer.testing import CliRunner

    from llmops.cli.app import app

    stop_after_first = anyio.Event()
    options = LoadtestOptions(levels=(2, 4), requests=10, warmup=0)

    async def partial() -> LoadtestResult:
        observer = StopAt(stop_after_first, LevelFinished, 0)
        return await run(options, observers=[observer], stop=stop_after_first)

    interrupted = trio.run(partial, clock=MockClock(autojump_threshold=0))
    monkeypatch.setattr(loadtest_cmd, "_execute", lambda *a, **kw: interrupted)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["loadtest", "--levels", "2,4", "--requests", "10"])
    assert result.exit_code == 130
    assert "interrupted after 1 of 2 levels" in result.stdout
    assert (tmp_path / "reports" / "loadtest-latest.json").exists()


def test_the_cli_writes_no_report_when_nothing_finished(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from llmops.cli.app import app

    async def nothing() -> LoadtestResult:
        stop = anyio.Event()
        stop.set()
        return await run(LoadtestOptions(levels=(2,), requests=10), stop=stop)

    empty = anyio.run(nothing, backend="trio")
    monkeypatch.setattr(loadtest_cmd, "_execute", lambda *a, **kw: empty)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["loadtest", "--levels", "2", "--requests", "10"])
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert not (tmp_path / "reports").exists()


@pytest.mark.loopback
def test_sigint_to_a_running_loadtest_exits_130_without_a_traceback(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    args = ["--levels", "1,2", "--duration", "60s", "--mock-profile", "instant"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmops", "loadtest", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "requests (assuming" in proc.stdout.readline()  # the ladder is under way
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
