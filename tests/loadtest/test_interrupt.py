"""Ctrl-C during a ladder: the finished levels are still reported, and the exit code is 130."""

from __future__ import annotations

from typing import Any

import pytest

import llmops.workflows.loadtest
from llmops.cli import loadtest_cmd
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult
from llmops.workflows.loadtest.events import LevelFinished
from llmops.workflows.loadtest.prompts import synthetic_prompts
from tests.loadtest.conftest import run, target


def test_interrupt_after_a_level_returns_what_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    import trio
    from trio.testing import MockClock

    # a real level, measured on the in-process mock on virtual time
    options = LoadtestOptions(levels=(2,), requests=10, warmup=0)
    finished: LoadtestResult = trio.run(run, options, clock=MockClock(autojump_threshold=0))

    async def interrupted_ladder(*args: Any, observers: Any = (), **kw: Any) -> LoadtestResult:
        for observer in observers:
            observer(LevelFinished(0, finished.levels[0]))
        raise KeyboardInterrupt

    monkeypatch.setattr(llmops.workflows.loadtest, "run_loadtest", interrupted_ladder)
    options = LoadtestOptions(levels=(2, 8), requests=10)
    estimate = type("Estimate", (), {"local": True, "requests": 20})()
    result = loadtest_cmd._execute(options, target(), synthetic_prompts(seed=0), estimate)
    assert [lv.load for lv in result.levels] == [2]
    assert result.skipped_loads == [8]
    assert result.stop_reason is not None and result.stop_reason.startswith("interrupted")


def test_interrupt_before_any_level_finished_is_just_an_interrupt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def interrupted_ladder(*args: Any, **kw: Any) -> LoadtestResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(llmops.workflows.loadtest, "run_loadtest", interrupted_ladder)
    estimate = type("Estimate", (), {"local": True, "requests": 20})()
    with pytest.raises(KeyboardInterrupt):
        loadtest_cmd._execute(
            LoadtestOptions(levels=(2,), requests=10), target(), synthetic_prompts(seed=0), estimate
        )
