"""The drill: a week of daily runs on the mock, then a silent model update (the `drift` profile).

In-process mock on trio's virtual clock; time of each run injected (one run a day).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from trio.testing import MockClock

from llmops.config import LlmopsConfig
from llmops.engine.clock import AnyioClock
from llmops.errors import InputError
from llmops.mock import MockTransport, load_profile, patch_profile
from llmops.stores.history_sqlite import SqliteHistory
from llmops.workflows.evals import (
    EvalOptions,
    EvalOutcome,
    Suite,
    evaluate,
    load_suite,
    mock_target,
)
from llmops.workflows.evals.compare import DAY

T0 = 1_767_225_600.0  # 2026-01-01 UTC


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class Drill:
    """The shipped suite against the `drift` profile, its switch held back until `update()`."""

    def __init__(self, tmp: Path) -> None:
        self.clock = AnyioClock()
        self.profile = patch_profile(
            load_profile("drift"), {"model_version": {"switch_after_requests": 10**9}}
        )
        self.mock = MockTransport(self.profile, clock=self.clock)
        self.store = SqliteHistory(tmp / "history.sqlite3")
        self.suite = load_suite("support-classifier")

    def update_model(self) -> None:
        switched = patch_profile(self.profile, {"model_version": {"switch_after_requests": 0}})
        self.mock.app.set_profile(switched, self.clock.now())

    async def run(self, day: float, suite: Suite | None = None, **opts: Any) -> EvalOutcome:
        return await evaluate(
            suite or self.suite,
            mock_target(LlmopsConfig()),
            history=self.store,
            options=EvalOptions(compare=True, **opts),
            transport=self.mock,
            clock=self.clock,
            now=lambda: T0 + day * DAY,
            commit="c0ffee",
        )

    async def week(self) -> None:
        for day in range(7):
            await self.run(day)


@pytest.fixture
def drill(tmp_path: Path) -> Drill:
    return Drill(tmp_path)


@pytest.mark.anyio
async def test_model_update_is_a_regression_attributed_to_the_model(drill: Drill) -> None:
    await drill.week()
    drill.update_model()
    c = (await drill.run(7)).comparison
    assert c is not None
    assert (c.status, c.cause) == ("REGRESSION", "model")
    assert c.attribution == "model changed: mock-1-2026-01 → mock-1-2026-03"
    assert c.test.name == "per-case exact" and c.test.p_value < c.level


@pytest.mark.anyio
async def test_flipped_cases_are_listed_once_credible_on_their_own(drill: Drill) -> None:
    await drill.week()
    drill.update_model()
    same_day = (await drill.run(7)).comparison
    assert same_day is not None and same_day.status == "REGRESSION"
    # 7/7 before and 0/1 now is one failure, not yet credible for the case on its own
    assert all(t.total_now >= 2 for t in same_day.flipped)
    c = (await drill.run(8)).comparison
    assert c is not None
    assert c.flipped[0].case_id == "shipping-delivery"  # 14/14 before, 0/4 since: the most evidence
    assert all(t.p_value < c.alpha for t in c.flipped)


@pytest.mark.anyio
async def test_next_day_still_compares_with_the_old_version(drill: Drill) -> None:
    await drill.week()
    drill.update_model()
    await drill.run(7)
    c = (await drill.run(8)).comparison
    assert c is not None
    assert (c.status, c.model_before) == ("REGRESSION", "mock-1-2026-01")
    assert c.baseline_runs == 7  # days 0..6: the week before the change, on the old version
    assert c.post_runs == 2 and c.look == 2  # days 7 and 8 pooled


@pytest.mark.anyio
async def test_stable_suite_raises_no_alarm(drill: Drill) -> None:
    await drill.week()
    c = (await drill.run(7)).comparison
    assert c is not None
    assert (c.status, c.cause, c.flipped) == ("OK", "none", [])


@pytest.mark.anyio
async def test_first_run_starts_the_baseline(drill: Drill) -> None:
    c = (await drill.run(0)).comparison
    assert c is not None and (c.status, c.cause) == ("OK", "no-baseline")


@pytest.mark.anyio
async def test_changed_suite_on_the_same_model_is_attributed_to_the_suite(drill: Drill) -> None:
    await drill.week()
    cases = list(drill.suite.cases)
    cases[0] = cases[0].model_copy(update={"checks": [cases[15].checks[0]]})  # expects shipping
    changed = drill.suite.model_copy(update={"cases": cases})
    c = (await drill.run(7, suite=changed)).comparison
    assert c is not None
    assert c.cause == "suite" and c.attribution.startswith("suite changed: ")
    assert c.status != "OK"


@pytest.mark.anyio
async def test_minimum_detectable_drop_is_reported(drill: Drill) -> None:
    await drill.week()
    c = (await drill.run(7)).comparison
    assert c is not None and 0 < c.min_detectable_drop < 0.5


@pytest.mark.anyio
async def test_candidate_model_on_identical_answers_is_promoted(drill: Drill) -> None:
    out = await drill.run(0, candidate_model="mock-2")
    assert out.promotion is not None and out.promotion.verdict == "promote"
    assert out.candidate_run is not None and out.candidate_run.model_requested == "mock-2"


@pytest.mark.anyio
async def test_every_trial_records_model_tokens_and_hashes(drill: Drill) -> None:
    run = (await drill.run(0)).run
    first = run.cases[0]
    assert (first.model_requested, first.model_reported) == ("mock-1", "mock-1-2026-01")
    assert first.output_tokens is not None and first.latency_s > 0
    assert len(run.suite_hash) == 16 and run.git_commit == "c0ffee"
    assert drill.store.query("support-classifier")[0].run_id == run.run_id


@pytest.mark.anyio
async def test_llm_judge_grades_through_the_engine(tmp_path: Path) -> None:
    judge_rules = [
        {
            "match": {"regex": "ANSWER: billing"},
            "text": '{"pass": true, "score": 1, "reason": "ok"}',
        },
        {"match": {"contains": "RUBRIC:"}, "text": '{"pass": false, "score": 0, "reason": "no"}'},
    ]
    base = load_profile("default")
    profile = patch_profile(
        base, {"answers": judge_rules + base.model_dump(mode="json")["answers"]}
    )
    clock = AnyioClock()
    suite = Suite.model_validate(
        {
            "name": "judged",
            "cases": [
                {
                    "id": "refund",
                    "input": "Please refund me",
                    "checks": [{"type": "llm-judge", "rubric": "a billing label"}],
                },
                {
                    "id": "crash",
                    "input": "It crashes",
                    "checks": [{"type": "llm-judge", "rubric": "a billing label"}],
                },
            ],
        }
    )
    out = await evaluate(
        suite, mock_target(LlmopsConfig()), transport=MockTransport(profile, clock=clock),
        clock=clock, commit=None,
    )  # fmt: skip
    assert [(c.case_id, c.passed) for c in out.run.cases] == [("refund", True), ("crash", False)]


@pytest.mark.anyio
async def test_unimportable_python_check_fails_before_any_call() -> None:
    clock = AnyioClock()
    mock = MockTransport(load_profile("default"), clock=clock)
    suite = Suite.model_validate(
        {
            "name": "py",
            "cases": [{"input": "ping", "checks": [{"type": "python", "function": "nosuch:f"}]}],
        }
    )
    with pytest.raises(InputError, match="cannot import 'nosuch'"):
        await evaluate(suite, mock_target(LlmopsConfig()), transport=mock, clock=clock, commit=None)
    assert mock.app.stats.requests == 0


@pytest.mark.anyio
async def test_a_key_in_the_target_url_never_reaches_the_run(tmp_path: Path) -> None:
    clock = AnyioClock()
    label = "openai API at https://gw.example/v1?api-key=sk-SECRET (model mock-1)"
    target = replace(mock_target(LlmopsConfig()), label=label)
    store = SqliteHistory(tmp_path / "h.sqlite3")
    suite = Suite.model_validate(
        {"name": "k", "cases": [{"input": "ping", "checks": [{"type": "equals", "value": "pong"}]}]}
    )
    out = await evaluate(
        suite, target, history=store, transport=MockTransport(load_profile("default"), clock=clock),
        clock=clock, commit=None,
    )  # fmt: skip
    assert out.run.target == "openai API at https://gw.example/v1?api-key=*** (model mock-1)"
    assert "sk-SECRET" not in store.query("k")[0].target


@pytest.mark.anyio
async def test_baseline_since_an_accepted_update_compares_with_the_new_model_only(
    drill: Drill,
) -> None:
    await drill.week()
    drill.update_model()
    assert (await drill.run(7)).comparison.status == "REGRESSION"  # type: ignore[union-attr]
    await drill.run(8)
    accepted = T0 + 7 * DAY  # the team accepts the new model from day 7 on
    c = (await drill.run(9, baseline_since=accepted)).comparison
    assert c is not None and c.status == "OK"
    assert c.window_runs == 2 and c.model_before == "mock-1-2026-03"


async def _flaky_week(drill: Drill) -> set[str]:
    """Seven recorded days on the updated model in which the cases it breaks failed twice: a
    failure of those cases today is suggestive, not conclusive. Returns those cases."""
    from llmops.workflows.evals.records import CaseRecord, EvalRun

    drill.update_model()
    probe = (await drill.run(7, record=False)).run
    failing = {c.case_id for c in probe.cases if not c.passed}
    for day in range(7):
        cases = [
            CaseRecord(c.case_id, c.repeat, c.case_id not in failing or day >= 2, "x",
                       model_reported=probe.model_reported)
            for c in probe.cases
        ]  # fmt: skip
        at = T0 + day * DAY
        drill.store.append(
            EvalRun(f"h{day}", probe.suite, at, at + 1, probe.suite_hash, probe.config_hash,
                    "c0ffee", probe.target, "mock-1", cases)
        )  # fmt: skip
    return failing


@pytest.mark.anyio
async def test_a_suggestive_drop_is_rerun_at_once_and_reported(drill: Drill) -> None:
    failing = await _flaky_week(drill)
    requests = drill.mock.app.stats.requests
    out = await drill.run(7)
    c = out.comparison
    assert c is not None and c.status == "REGRESSION"
    assert "the provider may have changed behaviour behind the same model id" in c.attribution
    assert 0 < c.rerun_calls <= out.run.total  # one more suite's worth at most
    assert drill.mock.app.stats.requests - requests == out.run.total + c.rerun_calls
    assert out.run.meta["rerun"]["suspects"] == len(failing)
    assert c.rerun_estimate is not None and c.rerun_estimate < c.baseline.rate
    assert [r.run_id for r in drill.store.query("support-classifier")][-1] == out.run.run_id


@pytest.mark.anyio
async def test_no_rerun_makes_no_extra_call_and_says_the_drop_is_not_conclusive(
    drill: Drill,
) -> None:
    await _flaky_week(drill)
    requests = drill.mock.app.stats.requests
    out = await drill.run(7, rerun=False)
    c = out.comparison
    assert c is not None and c.status != "REGRESSION" and c.rerun_calls == 0
    assert drill.mock.app.stats.requests - requests == out.run.total


@pytest.mark.anyio
async def test_a_rerun_beyond_the_call_budget_is_not_made_and_says_why(drill: Drill) -> None:
    await _flaky_week(drill)
    out = await drill.run(7, rerun_max_calls=0)
    c = out.comparison
    assert c is not None and c.rerun_calls == 0 and c.needs_rerun
    assert out.run.meta["rerun"]["skipped"] == "no case to re-run within the call budget"


@pytest.mark.anyio
async def test_the_cost_guard_refuses_a_rerun_it_cannot_price(drill: Drill) -> None:
    await _flaky_week(drill)
    paid = replace(mock_target(LlmopsConfig()), local=False)  # as if billed; no list price
    requests = drill.mock.app.stats.requests
    out = await evaluate(
        drill.suite, paid, history=drill.store, transport=drill.mock, clock=drill.clock,
        options=EvalOptions(compare=True, max_cost=1.0), now=lambda: T0 + 7 * DAY,
        commit="c0ffee",
    )  # fmt: skip
    c = out.comparison
    assert c is not None and c.needs_rerun and c.rerun_calls == 0
    assert c.rerun_note == "cost guard: re-run would cost unknown > --max-cost $1"
    assert drill.mock.app.stats.requests - requests == out.run.total
