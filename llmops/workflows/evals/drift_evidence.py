"""The evidence for one change point: the pooled runs since it against the runs before it.

:func:`evidence` shapes the runs into per-case counts and applies the tests of
:mod:`llmops.stats.casewise` (first stage on the scheduled runs, second stage on an immediate
re-run); :func:`flipped_cases` lists the cases whose own change is credible. Used by
:func:`llmops.workflows.evals.compare.compare`, whose docstring explains the design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps  # type: ignore[import-untyped]

from llmops.stats.casewise import (
    RERUN_BELOW,
    BetaPrior,
    SurpriseTest,
    beta_prior,
    look_alpha,
    surprise_test,
    two_stage_p,
)
from llmops.stats.drift import PairedTest, PassRate, pass_rate, rate_difference
from llmops.stats.significance import adjust_bh
from llmops.workflows.evals.records import EvalRun
from llmops.workflows.evals.rerun import Rerun

__all__ = [
    "ADVICE_REPEATS",
    "CaseTally",
    "Evidence",
    "Window",
    "case_tally",
    "evidence",
    "flipped_cases",
]

#: repetition counts the detectable-drop advice is given for
ADVICE_REPEATS = (1, 2, 3, 5)


@dataclass(frozen=True, slots=True)
class CaseTally:
    """One case's passes before (baseline) and now; ``p_value`` of its own change (one-sided
    Fisher exact: more failures now), BH-adjusted across the cases."""

    case_id: str
    passed_before: int
    total_before: int
    passed_now: int
    total_now: int
    p_value: float = 1.0

    @property
    def rate_before(self) -> float:
        """Pass rate before."""
        return self.passed_before / self.total_before if self.total_before else 0.0

    @property
    def rate_now(self) -> float:
        """Pass rate now."""
        return self.passed_now / self.total_now if self.total_now else 0.0


@dataclass(frozen=True, slots=True)
class Window:
    """A change point: the ``post`` runs since it (the ``look``-th look) and the ``baseline``
    runs before it."""

    look: int
    post: list[EvalRun]
    baseline: list[EvalRun]


def case_tally(runs: Sequence[EvalRun]) -> dict[str, tuple[int, int]]:
    """Per case id: ``(passed trials, trials)`` over ``runs``."""
    out: dict[str, list[int]] = {}
    for run in runs:
        for c in run.cases:
            t = out.setdefault(c.case_id, [0, 0])
            t[0] += c.passed
            t[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


@dataclass(slots=True)
class Evidence:
    """One change point's counts, tests and decision (see :func:`evidence`)."""

    window: Window
    cases: list[str]
    before: list[tuple[int, int]]
    now: list[tuple[int, int]]
    prior: BetaPrior
    first: SurpriseTest
    second_p: float | None
    overall_p: float
    level: float
    regression: bool
    needs_rerun: bool
    current: PassRate
    baseline: PassRate
    runs_per_look: int

    def detectable_drop(self) -> float:
        """The drop the first stage alone flags half the time at this look's level."""
        return self.first.detectable_drop(self.level)

    def repeat_advice(self) -> list[tuple[int, float]]:
        """The detectable drop of one run (look 1) with each of :data:`ADVICE_REPEATS`
        repetitions per case, the history scaled to the same repetitions."""
        out: list[tuple[int, float]] = []
        if not self.cases:
            return out
        per_case = np.array([n for _, n in self.now], dtype=np.float64) / self.runs_per_look
        x = np.array([p for p, _ in self.before], dtype=np.float64)
        m = np.array([n for _, n in self.before], dtype=np.float64)
        for r in ADVICE_REPEATS:
            scale = r / np.maximum(per_case, 1.0)
            k = np.full(len(self.cases), r)
            test = surprise_test(
                self.prior, np.rint(x * scale), np.rint(m * scale), np.zeros_like(k), k
            )
            out.append((r, test.detectable_drop(self.level * 2.0 ** (self.window.look - 1))))
        return out

    def as_paired_test(self) -> PairedTest:
        """The decision as a :class:`PairedTest` (``p_value`` is the overall p)."""
        direction: Literal["drop", "rise", "none"] = (
            "drop"
            if self.current.rate < self.baseline.rate
            else "rise"
            if self.current.rate > self.baseline.rate
            else "none"
        )
        detail = {"first_p": self.first.p_value, "level": self.level, "look": self.window.look}
        if self.second_p is not None:
            detail["second_p"] = self.second_p
        return PairedTest(
            "per-case exact", float(self.first.statistic), self.overall_p, direction, detail
        )


def evidence(
    window: Window, rerun: Rerun | None, *, alpha: float, threshold: float, design: bool
) -> Evidence:
    """Test ``window``: the first stage on its scheduled runs and, with ``rerun``, the second
    stage on the re-run trials (each case's prediction conditioned on every trial before)."""
    before_t, now_t = case_tally(window.baseline), case_tally(window.post)
    cases = sorted(set(before_t) & set(now_t))
    before = [before_t[k] for k in cases]
    now = [now_t[k] for k in cases]
    prior = beta_prior([p for p, _ in before], [n for _, n in before])
    first = surprise_test(
        prior,
        [p for p, _ in before],
        [n for _, n in before],
        [n - p for p, n in now],
        [n for _, n in now],
    )
    second_p: float | None = None
    if rerun is not None:
        again = case_tally([rerun.run])
        suspects = set(rerun.plan.suspects)
        idx = [i for i, k in enumerate(cases) if k in again and k in suspects]
        if idx:
            second = surprise_test(
                prior,
                [before[i][0] + now[i][0] for i in idx],
                [before[i][1] + now[i][1] for i in idx],
                [again[cases[i]][1] - again[cases[i]][0] for i in idx],
                [again[cases[i]][1] for i in idx],
            )
            second_p = second.p_value
    level = alpha * look_alpha(1.0, window.look)
    overall = two_stage_p(first.p_value, second_p, level=level, rerun=design)
    cur = pass_rate(sum(p for p, _ in now), sum(n for _, n in now))
    base = pass_rate(sum(p for p, _ in before), sum(n for _, n in before))
    # a significant drop that may be as large as the threshold (the interval's far end reaches it)
    regression = overall < level and -rate_difference(cur, base).low >= threshold
    needs = design and rerun is None and not regression and level / 2 <= first.p_value < RERUN_BELOW
    return Evidence(
        window, cases, before, now, prior, first, second_p, overall, level, regression, needs,
        cur, base, len(window.post),
    )  # fmt: skip


def flipped_cases(found: Evidence, rerun: Rerun | None, *, alpha: float) -> list[CaseTally]:
    """Cases that fail more now than before, credibly on their own: one-sided Fisher exact per
    case (the re-run's trials count as now), Benjamini-Hochberg adjusted, below ``alpha``."""
    again = case_tally([rerun.run]) if rerun is not None else {}
    rows: list[tuple[str, int, int, int, int]] = []
    for k, (pb, nb), (pn, nn) in zip(found.cases, found.before, found.now, strict=True):
        extra = again.get(k, (0, 0))
        rows.append((k, pb, nb, pn + extra[0], nn + extra[1]))
    ps = [
        float(sps.fisher_exact([[nn - pn, pn], [nb - pb, pb]], alternative="greater").pvalue)
        if nn > pn and pn * nb < pb * nn
        else 1.0
        for _, pb, nb, pn, nn in rows
    ]
    qs = adjust_bh(ps)
    kept = [CaseTally(*row, p_value=q) for row, q in zip(rows, qs, strict=True) if q < alpha]
    return sorted(kept, key=lambda t: (t.p_value, -t.rate_before, -t.total_before, t.case_id))
