"""``--compare``: a run against the rolling window of earlier runs, with a drift verdict.

The baseline is the window (default 7 days) of earlier runs of the same suite. When the model
the responses reported differs from the latest earlier run's, the change is attributed to the
model and the baseline narrows to the runs on the old version; otherwise the suite, config and
git commit are compared with the latest run's. Only cases present on both sides are compared.
Against one baseline run the paired test is McNemar over (case, repetition) pairs; against
several it is Cochran-Mantel-Haenszel stratified by case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from llmops.stats.drift import (
    PairedTest,
    PassRate,
    RateDifference,
    Status,
    Stratum,
    cochran_mantel_haenszel,
    drift_status,
    mcnemar,
    min_detectable_drop,
    min_detectable_drop_stratified,
    pass_rate,
    rate_difference,
)
from llmops.workflows.evals.records import EvalRun

DAY = 86_400.0

Cause = Literal["model", "suite", "config", "code", "none", "no-baseline"]


@dataclass(frozen=True, slots=True)
class CaseTally:
    """One case's passes before (baseline) and now."""

    case_id: str
    passed_before: int
    total_before: int
    passed_now: int
    total_now: int

    @property
    def rate_before(self) -> float:
        return self.passed_before / self.total_before if self.total_before else 0.0

    @property
    def rate_now(self) -> float:
        return self.passed_now / self.total_now if self.total_now else 0.0


@dataclass(slots=True)
class Comparison:
    """The drift verdict of one run against its window, with the evidence behind it."""

    status: Status
    cause: Cause
    attribution: str
    current: PassRate
    baseline: PassRate
    difference: RateDifference
    test: PairedTest
    threshold: float
    alpha: float
    min_detectable_drop: float
    window_runs: int
    baseline_runs: int
    model_before: str | None = None
    model_now: str | None = None
    changes: list[str] = field(default_factory=list)
    flipped: list[CaseTally] = field(default_factory=list)
    flaky: list[CaseTally] = field(default_factory=list)
    new_cases: list[str] = field(default_factory=list)
    removed_cases: list[str] = field(default_factory=list)

    @property
    def drop(self) -> float:
        """Baseline minus current pass rate (a fraction; positive is worse)."""
        return -self.difference.diff


def _tally(runs: Sequence[EvalRun]) -> dict[str, tuple[int, int]]:
    out: dict[str, list[int]] = {}
    for run in runs:
        for c in run.cases:
            t = out.setdefault(c.case_id, [0, 0])
            t[0] += c.passed
            t[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _changes(run: EvalRun, last: EvalRun) -> list[str]:
    out: list[str] = []
    if run.suite_hash != last.suite_hash:
        out.append(f"suite changed: {last.suite_hash} → {run.suite_hash}")
    if run.config_hash != last.config_hash:
        out.append(f"config changed: {last.config_hash} → {run.config_hash}")
    if run.git_commit != last.git_commit:
        out.append(f"code changed: commit {last.git_commit or '?'} → {run.git_commit or '?'}")
    return out


def discordant_pairs(earlier: EvalRun, later: EvalRun) -> tuple[list[str], list[str]]:
    """Trials paired by (case, repetition) that changed between two runs: the case ids of
    those that went pass to fail, and of those that went fail to pass (one entry per pair)."""
    before = {(c.case_id, c.repeat): c.passed for c in earlier.cases}
    worse: list[str] = []
    better: list[str] = []
    for case in later.cases:
        was = before.get((case.case_id, case.repeat))
        if was is not None and was != case.passed:
            (worse if was else better).append(case.case_id)
    return worse, better


def _paired_test(run: EvalRun, baseline: Sequence[EvalRun], common: set[str]) -> PairedTest:
    if len(baseline) == 1:
        worse, better = discordant_pairs(baseline[0], run)
        return mcnemar(len(worse), len(better))
    now, then = _tally([run]), _tally(baseline)
    strata = [
        Stratum(now[k][0], now[k][1] - now[k][0], then[k][0], then[k][1] - then[k][0])
        for k in sorted(common)
    ]
    return cochran_mantel_haenszel(strata)


def compare(
    run: EvalRun,
    history: Sequence[EvalRun],
    *,
    window_s: float = 7 * DAY,
    threshold: float = 0.03,
    alpha: float = 0.01,
) -> Comparison:
    """The drift verdict of ``run`` against the earlier runs of its suite in ``history``."""
    window = sorted(
        (
            r
            for r in history
            if r.suite == run.suite
            and r.run_id != run.run_id
            and run.started_at - window_s <= r.started_at < run.started_at
        ),
        key=lambda r: r.started_at,
    )
    model_now = run.model_reported
    if not window:
        rate = pass_rate(run.passed, run.total)
        return Comparison(
            "OK", "no-baseline", "no earlier runs in the window: this run starts the baseline",
            rate, rate, RateDifference(0.0, 0.0, 0.0), mcnemar(0, 0), threshold, alpha,
            min_detectable_drop(run.total, alpha=alpha), 0, 0, model_now=model_now,
        )  # fmt: skip
    last = window[-1]
    model_before = last.model_reported
    changes = _changes(run, last)
    older = [r for r in window if r.model_reported and r.model_reported != model_now]
    if model_now and older:
        # the model changed (now or earlier in the window): compare with the old version's days
        cause: Cause = "model"
        model_before = older[-1].model_reported
        attribution = f"model changed: {model_before} → {model_now}"
        baseline = [r for r in older if r.model_reported == model_before]
    else:
        baseline = list(window)
        cause = "none"
        attribution = "no change in model, suite, config or code since the last run"
        kinds: tuple[Cause, ...] = ("suite", "config", "code")
        for kind in kinds:
            hit = next((c for c in changes if c.startswith(kind)), None)
            if hit is not None:
                cause, attribution = kind, hit
                break
    now, then = _tally([run]), _tally(baseline)
    common = set(now) & set(then)
    cur = pass_rate(sum(now[k][0] for k in common), sum(now[k][1] for k in common))
    base = pass_rate(sum(then[k][0] for k in common), sum(then[k][1] for k in common))
    diff = rate_difference(cur, base)
    test = _paired_test(run, baseline, common)
    status = drift_status(-diff.diff, test, threshold=threshold, alpha=alpha)
    tallies = [CaseTally(k, *then[k], *now[k]) for k in sorted(common)]
    noise = round(sum(2 * t.rate_before * (1 - t.rate_before) * t.total_now for t in tallies))
    flipped = sorted(
        (t for t in tallies if t.rate_before >= 0.5 and t.rate_now < 0.5),
        key=lambda t: (-t.rate_before, -t.total_before, t.case_id),
    )
    if len(baseline) == 1:
        mdd = min_detectable_drop(cur.n, alpha=alpha, noise_flips=noise)
    else:
        cases = [(t.total_now, t.passed_before, t.total_before) for t in tallies]
        mdd = min_detectable_drop_stratified(cases, alpha=alpha)
    window_tally = _tally(baseline)
    flaky = sorted(
        (
            CaseTally(k, p, n, *now.get(k, (0, 0)))
            for k, (p, n) in window_tally.items()
            if 0 < p < n
        ),
        key=lambda t: (abs(t.rate_before - 0.5), t.case_id),
    )
    return Comparison(
        status=status,
        cause=cause,
        attribution=attribution,
        current=cur,
        baseline=base,
        difference=diff,
        test=test,
        threshold=threshold,
        alpha=alpha,
        min_detectable_drop=mdd,
        window_runs=len(window),
        baseline_runs=len(baseline),
        model_before=model_before,
        model_now=model_now,
        changes=changes,
        flipped=flipped,
        flaky=flaky,
        new_cases=sorted(set(now) - set(then)),
        removed_cases=sorted(set(then) - set(now)),
    )
