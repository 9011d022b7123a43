"""The immediate re-run: its plan, its estimate, its price, and its place in the verdict."""

from __future__ import annotations

from llmops.workflows.evals.compare import DAY, compare
from llmops.workflows.evals.records import CaseRecord, EvalRun
from llmops.workflows.evals.rerun import (
    Rerun,
    RerunPlan,
    plan_rerun,
    rerun_cost,
    rerun_estimate,
    rerun_suite,
)
from llmops.workflows.evals.suite import Suite
from tests.evals.conftest import make_run


def test_plan_takes_every_suspect_and_as_many_others_at_random() -> None:
    run = make_run(passes={f"c{i:02}": [i >= 4] for i in range(40)})
    plan = plan_rerun(run, [f"c{i:02}" for i in range(40)], seed=1)
    assert plan.suspects == ("c00", "c01", "c02", "c03")
    assert len(plan.sample) == 4 and not set(plan.sample) & set(plan.suspects)
    assert (plan.suspect_pool, plan.rest_pool) == (4, 36)
    assert plan.calls <= run.total  # one more suite's worth at most


def test_the_sample_is_drawn_at_random() -> None:
    run = make_run(passes={f"c{i:02}": [i >= 4] for i in range(40)})
    cases = [f"c{i:02}" for i in range(40)]
    samples = {plan_rerun(run, cases, seed=s).sample for s in range(10)}
    assert len(samples) > 1


def test_the_budget_left_over_repeats_the_suspects() -> None:
    run = make_run(passes={f"c{i:02}": [i >= 4] for i in range(40)})
    plan = plan_rerun(run, [f"c{i:02}" for i in range(40)], seed=1)
    assert {plan.repeats[c] for c in plan.suspects} == {9}  # (40 - 4) // 4
    assert {plan.repeats[c] for c in plan.sample} == {1}


def test_a_short_budget_cuts_both_groups_alike() -> None:
    run = make_run(passes={f"c{i:02}": [i >= 10] for i in range(40)})
    plan = plan_rerun(run, [f"c{i:02}" for i in range(40)], max_calls=8, seed=1)
    assert len(plan.suspects) == len(plan.sample) == 4 and plan.calls <= 8


def test_estimate_weights_each_group_by_the_cases_it_stands_for() -> None:
    plan = RerunPlan(("a",), ("b", "c"), 2, 8, {"a": 1, "b": 1, "c": 1})
    again = make_run(passes={"a": [False], "b": [True], "c": [False]})
    # suspects: 0% for 2 cases; sample: 50% for 8 cases -> 4 / 10
    assert rerun_estimate(Rerun(plan, again)) == 0.4


def test_a_local_target_costs_nothing_and_an_unknown_model_has_no_price() -> None:
    run = make_run(passes={"a": [True]})
    assert rerun_cost(run, 10, local=True) == 0.0
    assert rerun_cost(run, 10, local=False) is None  # model "m-1" has no list price
    run.cases[0].model_reported = "gpt-4o-mini"
    assert rerun_cost(run, 1000, local=False) == (5 * 0.15 + 1 * 0.60) * 1000 / 1e6


def test_the_rerun_suite_keeps_each_case_id() -> None:
    suite = Suite.model_validate(
        {"name": "s", "cases": [{"input": "a"}, {"id": "named", "input": "b"}, {"input": "c"}]}
    )
    part = rerun_suite(suite, RerunPlan(("case-3",), ("named",), 1, 2, {"case-3": 4, "named": 1}))
    assert [(part.case_id(i), c.repeat) for i, c in enumerate(part.cases)] == [
        ("named", 1),
        ("case-3", 4),
    ]


def _history(fails: dict[str, int], days: int = 7) -> list[EvalRun]:
    """``days`` runs of 40 cases; case ``k`` fails on the first ``fails[k]`` days."""
    return [
        make_run(
            at=d * DAY, passes={f"c{i:02}": [d >= fails.get(f"c{i:02}", 0)] for i in range(40)}
        )
        for d in range(days)
    ]


def _with(run: EvalRun, outcomes: dict[str, list[bool]]) -> EvalRun:
    cases = [
        CaseRecord(k, r, ok, None, model_reported="m-1")
        for k, oks in outcomes.items()
        for r, ok in enumerate(oks)
    ]
    return EvalRun(
        "again", run.suite, run.started_at, run.started_at, "", "", None, "t", "m", cases
    )


def test_a_suggestive_drop_asks_for_a_rerun_and_the_rerun_decides() -> None:
    history = _history({"c00": 2, "c01": 2})  # two cases that failed twice in the week
    now = make_run(at=7 * DAY, passes={f"c{i:02}": [i >= 3] for i in range(40)})
    first = compare(now, history)
    assert first.status != "REGRESSION" and first.needs_rerun
    plan = plan_rerun(now, first.cases_compared, seed=3)
    broken = _with(
        now, {c: [False] * plan.repeats[c] if c in plan.suspects else [True] for c in plan.cases}
    )
    second = compare(now, history, rerun=Rerun(plan, broken))
    assert second.status == "REGRESSION" and second.rerun_calls == plan.calls
    assert "second_p" in second.test.detail and not second.needs_rerun
    fine = _with(now, {c: [True] * plan.repeats[c] for c in plan.cases})
    assert compare(now, history, rerun=Rerun(plan, fine)).status == "OK"
