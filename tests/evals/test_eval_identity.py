"""Runs are compared with runs of the same target and model request; a config change is named
by its keys; a run in which the model answered no case is not a pass. On virtual time against
the in-process mock, one run a day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from trio.testing import MockClock

from llmops.config import LlmopsConfig, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.mock import MockTransport, load_profile, patch_profile
from llmops.stores.history_sqlite import SqliteHistory
from llmops.workflows.evals import EvalOptions, EvalOutcome, evaluate, load_suite, mock_target
from llmops.workflows.evals.compare import DAY
from llmops.workflows.target import Target, target_from_url

T0 = 1_767_225_600.0  # 2026-01-01 UTC
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class Days:
    """Daily runs of the shipped suite into one history, each against a target of choice."""

    def __init__(self, tmp: Path, profile: str = "default", **patch: Any) -> None:
        self.clock = AnyioClock()
        self.mock = MockTransport(patch_profile(load_profile(profile), patch), clock=self.clock)
        self.store = SqliteHistory(tmp / "history.sqlite3")
        self.suite = load_suite("support-classifier")

    async def run(self, day: float, target: Target, **opts: Any) -> EvalOutcome:
        return await evaluate(
            self.suite,
            target,
            history=self.store,
            options=EvalOptions(compare=True, **opts),
            transport=self.mock,
            clock=self.clock,
            now=lambda: T0 + day * DAY,
            commit="c0ffee",
        )


MOCK = mock_target(LlmopsConfig())
OTHER = target_from_url("http://other.test/v1", "openai", "mock-1", local=True)


async def test_history_of_another_target_is_not_the_baseline(tmp_path: Path) -> None:
    days = Days(tmp_path)
    for day in range(3):
        await days.run(day, OTHER)
    c = (await days.run(3, MOCK)).comparison
    assert c is not None and (c.cause, c.baseline_runs) == ("no-baseline", 0)


async def test_any_target_compares_across_targets(tmp_path: Path) -> None:
    days = Days(tmp_path)
    for day in range(3):
        await days.run(day, OTHER)
    c = (await days.run(3, MOCK, same_target=False)).comparison
    assert c is not None and c.baseline_runs == 3


async def test_a_config_change_is_named_by_its_key(tmp_path: Path) -> None:
    days = Days(tmp_path)
    for day in range(3):
        await days.run(day, MOCK)
    changed = mock_target(config_from_dict({"retry": {"max_attempts": 2}}))
    c = (await days.run(3, changed)).comparison
    assert c is not None
    said = [x for x in c.changes if x.startswith("config changed")]
    assert said == ["config changed: retry.max_attempts 4 → 2"]


async def test_a_run_the_model_never_answered_fails_and_says_why(tmp_path: Path) -> None:
    days = Days(tmp_path, faults={"outages": [{"start_s": 0, "status": 503}]})
    out = await days.run(0, MOCK)
    assert out.failed() and out.run.answered == 0
    assert out.no_answer is not None and "no case got an answer from the model" in out.no_answer
    assert "HTTP 503 (overloaded)" in out.no_answer
    assert days.store.query("support-classifier") == []  # an outage is no baseline
