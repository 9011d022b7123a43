"""The immediate re-run: when a drop is suggestive but not conclusive, run some cases again now.

Which cases (:func:`plan_rerun`): every *suspect* (a case that failed at least once in the run)
and a *random sample* of the other cases of the same size, each with the run's repetitions, within
a budget of calls (by default one more suite's worth). When the budget is short, both groups are
cut at random to the same size; when it is ample, the suspects get more repetitions (as many
times the run's as fit): a broken case fails every one of them, a flaky one does not. Why a random sample too: only the re-run outcomes enter the
estimate of today's pass rate (:func:`rerun_estimate`, a Horvitz-Thompson estimate that weights
each group by how many cases it stands for), so the cases chosen because they failed do not bias
it, and a drop spread over cases that happened to pass is still seen. The test that uses the
re-run (:mod:`llmops.stats.casewise`) conditions each case's prediction on every trial before the
re-run, including the failure that made it a suspect, so the selection does not bias it either.

Pricing (:func:`rerun_cost`) is the load test's: the run's own mean tokens per call times the
calls, at the model's list price (:mod:`llmops.workflows.loadtest.cost`); loopback targets and
the mock cost nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from llmops.workflows.evals.records import EvalRun
from llmops.workflows.evals.suite import Suite
from llmops.workflows.loadtest.cost import DEFAULT_PRICES, Price, price_for

__all__ = ["Rerun", "RerunPlan", "plan_rerun", "rerun_cost", "rerun_estimate", "rerun_suite"]


@dataclass(frozen=True, slots=True)
class RerunPlan:
    """The cases to re-run: ``suspects`` (drawn from ``suspect_pool`` failing cases) and a
    random ``sample`` (drawn from ``rest_pool`` passing ones); ``repeats`` per case id."""

    suspects: tuple[str, ...]
    sample: tuple[str, ...]
    suspect_pool: int
    rest_pool: int
    repeats: dict[str, int]

    @property
    def cases(self) -> tuple[str, ...]:
        """Every case to re-run."""
        return self.suspects + self.sample

    @property
    def calls(self) -> int:
        """Model calls the re-run makes."""
        return sum(self.repeats[c] for c in self.cases)


@dataclass(slots=True)
class Rerun:
    """A finished re-run: its plan, its trials (an :class:`EvalRun` of those cases only) and
    what it cost (None: no price known)."""

    plan: RerunPlan
    run: EvalRun
    cost_usd: float | None = 0.0


def plan_rerun(
    run: EvalRun, cases: Sequence[str], *, max_calls: int | None = None, seed: int = 0
) -> RerunPlan:
    """Plan the re-run of ``run`` over ``cases`` (those compared with the baseline).

    ``max_calls`` defaults to the run's own number of trials (one more suite's worth).
    """
    repeats: dict[str, int] = {}
    failed: set[str] = set()
    wanted = set(cases)
    for c in run.cases:
        if c.case_id in wanted:
            repeats[c.case_id] = repeats.get(c.case_id, 0) + 1
            if not c.passed:
                failed.add(c.case_id)
    suspects = sorted(failed)
    rest = sorted(set(repeats) - failed)
    budget = run.total if max_calls is None else max_calls
    rng = random.Random(seed)
    rng.shuffle(suspects)
    rng.shuffle(rest)
    n_s = len(suspects)
    n_r = min(len(rest), n_s)
    while n_s > 0 and sum(repeats[c] for c in suspects[:n_s] + rest[:n_r]) > budget:
        n_s -= 1
        n_r = min(n_r, n_s)
    picked_s, picked_r = suspects[:n_s], rest[:n_r]
    base = sum(repeats[c] for c in picked_s)
    if base:  # the budget left over goes to more repetitions of the suspects
        boost = max(1, (budget - sum(repeats[c] for c in picked_r)) // base)
        repeats = {c: n * boost if c in picked_s else n for c, n in repeats.items()}
    return RerunPlan(
        tuple(sorted(picked_s)), tuple(sorted(picked_r)), len(suspects), len(rest), repeats
    )


def rerun_estimate(rerun: Rerun) -> float | None:
    """Today's pass rate estimated from the re-run trials alone (Horvitz-Thompson): each group's
    mean per-case pass rate stands for its whole pool. None when nothing was re-run."""
    by_case: dict[str, list[int]] = {}
    for c in rerun.run.cases:
        by_case.setdefault(c.case_id, []).append(int(c.passed))
    plan = rerun.plan
    total = plan.suspect_pool + plan.rest_pool
    if total == 0 or not by_case:
        return None
    est = 0.0
    for group, pool in ((plan.suspects, plan.suspect_pool), (plan.sample, plan.rest_pool)):
        rates = [sum(by_case[c]) / len(by_case[c]) for c in group if by_case.get(c)]
        if rates:
            est += pool * sum(rates) / len(rates)
        elif pool:
            est += pool  # a pool with no re-run: its cases passed in the run
    return est / total


def rerun_cost(
    run: EvalRun, calls: int, *, local: bool, prices: dict[str, Price] | None = None
) -> float | None:
    """The re-run's cost in USD: ``calls`` at the run's mean tokens per call and the list price
    of the model it reported (0 for a local target; None when no price is known)."""
    if local or calls == 0:
        return 0.0
    model = run.model_reported or run.model_requested or ""
    price = price_for(model, {**DEFAULT_PRICES, **(prices or {})})
    if price is None or not run.cases:
        return None
    inp = sum(c.input_tokens or 0 for c in run.cases) / len(run.cases)
    out = sum(c.output_tokens or 0 for c in run.cases) / len(run.cases)
    return calls * (inp * price.input_per_mtok + out * price.output_per_mtok) / 1e6


def rerun_suite(suite: Suite, plan: RerunPlan) -> Suite:
    """The suite cut to the planned cases, each keeping its id, with the planned repetitions."""
    wanted = set(plan.cases)
    cases = [
        case.model_copy(update={"id": suite.case_id(i), "repeat": plan.repeats[suite.case_id(i)]})
        for i, case in enumerate(suite.cases)
        if suite.case_id(i) in wanted
    ]
    return suite.model_copy(update={"cases": cases})
