"""compare on hand-built histories: change points, attribution, the flipped list, advice."""

from __future__ import annotations

from llmops.workflows.evals.compare import DAY, compare
from llmops.workflows.evals.records import EvalRun
from tests.evals.conftest import make_run

CASES = 60


def week(model: str = "m-1", fingerprint: str = "fp-a", days: int = 7) -> list[EvalRun]:
    """``days`` daily runs in which every case passes (two tries per case)."""
    runs = [
        make_run(at=d * DAY, passes={f"c{i:02}": [True, True] for i in range(CASES)}, model=model)
        for d in range(days)
    ]
    for run in runs:
        for c in run.cases:
            c.system_fingerprint = fingerprint
    return runs


def broken(day: int, n: int, model: str = "m-1", fingerprint: str = "fp-a") -> EvalRun:
    """A run on ``day`` in which the first ``n`` cases fail both tries."""
    run = make_run(
        at=day * DAY, passes={f"c{i:02}": [i >= n] * 2 for i in range(CASES)}, model=model
    )
    for c in run.cases:
        c.system_fingerprint = fingerprint
    return run


def test_a_drop_with_nothing_tracked_changed_names_the_provider_and_the_fingerprint() -> None:
    c = compare(broken(7, 6, fingerprint="fp-b"), week())
    assert c.status == "REGRESSION" and c.cause == "none"
    assert "the provider may have changed behaviour behind the same model id" in c.attribution
    assert c.attribution.endswith("system_fingerprint fp-a → fp-b")


def test_the_same_fingerprint_is_not_named() -> None:
    c = compare(broken(7, 6), week())
    assert c.status == "REGRESSION" and "system_fingerprint" not in c.attribution


def test_a_quiet_run_on_a_stable_suite_is_ok_and_lists_nothing() -> None:
    c = compare(broken(7, 0), week())
    assert (c.status, c.flipped, c.needs_rerun) == ("OK", [], False)


def test_the_runs_since_a_model_change_are_pooled_against_the_week_before_it() -> None:
    history = [*week(), broken(7, 2, model="m-2")]
    c = compare(broken(8, 2, model="m-2"), history)
    assert (c.cause, c.look, c.post_runs, c.baseline_runs) == ("model", 2, 2, 7)
    assert c.attribution == "model changed: m-1 → m-2 (2 runs since the change)"
    assert c.current.n == 2 * 2 * CASES  # two runs of 60 cases, two tries each


def test_a_silent_drop_that_began_yesterday_is_found_with_both_days_pooled() -> None:
    history = [*week(), broken(7, 3)]
    c = compare(broken(8, 3), history, rerun_design=False)
    assert (c.status, c.cause) == ("REGRESSION", "none")
    assert c.look >= 2 and c.post_runs == c.look  # pooled since the drop, not judged a day alone


def test_flipped_cases_are_those_credible_on_their_own() -> None:
    history = [*week(), broken(7, 3, model="m-2")]
    c = compare(broken(8, 3, model="m-2"), history)
    assert [t.case_id for t in c.flipped] == ["c00", "c01", "c02"]  # 14/14 then 0/4 each
    assert all(t.p_value < c.alpha for t in c.flipped)


def test_repeat_advice_shrinks_with_more_repetitions() -> None:
    flaky = [
        make_run(at=d * DAY, passes={f"c{i:02}": [(i + d) % 5 > 0] for i in range(CASES)})
        for d in range(7)
    ]
    c = compare(make_run(at=7 * DAY, passes={f"c{i:02}": [True] for i in range(CASES)}), flaky)
    assert [r for r, _ in c.repeat_advice] == [1, 2, 3, 5]
    assert c.repeat_advice[0][1] > c.repeat_advice[-1][1] > 0
