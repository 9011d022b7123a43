"""``--compare``: a run against the runs before a change point, with a drift verdict.

How the verdict is decided (the figures are in ``docs/eval.md`` and ``benchmarks/drift_power.py``):

1. **Change point.** When the model the responses reported changed within the window, the runs
   since the change (this one included) are pooled and compared with the runs on the old model
   in the ``window_s`` before the change: the k-th daily run after an update is the k-th look.
   Without a model change, three change points are tried: this run alone, the last two runs and
   the last three, each against the earlier runs of the window (a drop that began one or two
   days ago without a new model id is still found, with the days since pooled).
2. **Per-case test** (:mod:`llmops.stats.casewise`): each case's failures in the pooled runs
   against its own history's pass rate (Beta-binomial predictive with an empirical-Bayes prior),
   each case scored by how surprising its failures are, summed, with an exact null distribution.
3. **Repeated looks.** Look ``k`` (or the ``k``-run change point) spends ``alpha / 2**k``
   (:func:`~llmops.stats.casewise.look_alpha`): all looks after one update, or the three change
   points of one quiet run, together raise a false REGRESSION less often than ``alpha``.
4. **Re-run** (``rerun_design``, on by default): when the first stage is suggestive
   (``p < 0.5``) but not conclusive (``p >= level / 2``) the comparison asks for a re-run
   (``needs_rerun``); the eval workflow re-runs the suspect cases and a matched random sample
   (:mod:`llmops.workflows.evals.rerun`) and compares again with ``rerun=``. The two stages are
   combined by Bauer and Koehne's rule, whose size is exactly the level spent.
5. **Verdict.** REGRESSION when the overall p is below the look's level and the drop may be as
   large as ``threshold`` (the far end of its 95% interval reaches it: a drop shown to be smaller
   is only WARN); WARN when the overall p is below five times the look's level (about 5% of
   quiet runs at most); OK otherwise. Requiring the point estimate itself to pass the threshold
   missed a third of real 4-point drops, whose pooled estimate is noisy.

The flipped-case list holds only cases whose own change is credible: a one-sided Fisher exact
test per case (more failures now than before), Benjamini-Hochberg adjusted across the cases,
below ``alpha``. The minimum detectable drop is the drop the first stage alone catches half the
time at this look's level (cases breaking at random, simulated from the history); the re-run
only lowers it. ``repeat_advice`` gives it for other repetition counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from llmops.stats.drift import (
    PairedTest,
    PassRate,
    RateDifference,
    Status,
    mcnemar,
    min_detectable_drop,
    pass_rate,
    rate_difference,
)
from llmops.workflows.evals.drift_evidence import (
    CaseTally,
    Evidence,
    Window,
    case_tally,
    evidence,
    flipped_cases,
)
from llmops.workflows.evals.identity import config_change
from llmops.workflows.evals.records import EvalRun
from llmops.workflows.evals.rerun import Rerun, rerun_estimate

__all__ = ["DAY", "CaseTally", "Comparison", "compare", "discordant_pairs"]

DAY = 86_400.0

#: WARN at this multiple of a look's level
WARN_FACTOR = 5.0
#: change points tried when the model id did not change: this run, the last two, the last three
SCAN_RUNS = 3

Cause = Literal["model", "suite", "config", "code", "none", "no-baseline"]


@dataclass(slots=True)
class Comparison:
    """The drift verdict of one run against the runs before a change point, with its evidence.

    ``current`` is the pooled pass rate of the ``post_runs`` runs since the change point (this
    one included), ``baseline`` that of the ``baseline_runs`` before it, over the cases both
    have. ``look`` is the look's number (runs pooled), ``level`` the false-alarm rate it may
    spend. ``needs_rerun``: the evidence is suggestive; re-run and compare again with ``rerun``
    (``rerun_calls``, ``rerun_cost_usd`` and ``rerun_estimate``, today's pass rate from the re-run
    trials alone, describe the re-run made; ``rerun_note`` why none was). ``fingerprint_before``
    and ``fingerprint_now`` are the ``system_fingerprint`` most responses reported;
    ``repeat_advice`` pairs a ``repeat`` value with the detectable drop it would give;
    ``cases_compared`` are the cases both sides have.
    """

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
    post_runs: int = 1
    look: int = 1
    level: float = 0.0
    needs_rerun: bool = False
    rerun_calls: int = 0
    rerun_cost_usd: float | None = None
    rerun_estimate: float | None = None
    fingerprint_before: str | None = None
    fingerprint_now: str | None = None
    repeat_advice: list[tuple[int, float]] = field(default_factory=list)
    cases_compared: list[str] = field(default_factory=list)
    rerun_note: str = ""

    @property
    def drop(self) -> float:
        """Baseline minus current pass rate (a fraction; positive is worse)."""
        return -self.difference.diff


def _changes(run: EvalRun, last: EvalRun) -> list[str]:
    out: list[str] = []
    if run.suite_hash != last.suite_hash:
        out.append(f"suite changed: {last.suite_hash} → {run.suite_hash}")
    if run.config_hash != last.config_hash:
        out.append(config_change(last, run))
    if run.git_commit != last.git_commit:
        out.append(f"code changed: commit {last.git_commit or '?'} → {run.git_commit or '?'}")
    return out


def _fingerprint(run: EvalRun) -> str | None:
    counts = Counter(c.system_fingerprint for c in run.cases if c.system_fingerprint)
    return counts.most_common(1)[0][0] if counts else None


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


def _windows(
    run: EvalRun, window: list[EvalRun], history: Sequence[EvalRun], window_s: float
) -> tuple[list[Window], str | None]:
    """The change points to test: after a model change, the one since the change; otherwise
    this run alone, the last two and the last three against the earlier runs."""
    model_now = run.model_reported
    older = [i for i, r in enumerate(window) if r.model_reported and r.model_reported != model_now]
    if model_now and older:
        last_old = window[older[-1]]
        model_before = last_old.model_reported
        post = [r for r in window[older[-1] + 1 :] if r.model_reported == model_now] + [run]
        anchor = post[0].started_at
        base = [
            r
            for r in history
            if r.suite == run.suite
            and r.model_reported == model_before
            and anchor - window_s <= r.started_at < anchor
        ]
        return [Window(len(post), post, sorted(base, key=lambda r: r.started_at))], model_before
    out: list[Window] = []
    for j in range(1, min(SCAN_RUNS, len(window)) + 1):
        post = [*window[len(window) - (j - 1) :], run]
        out.append(Window(j, post, window[: len(window) - (j - 1)]))
    return out, None


def compare(
    run: EvalRun,
    history: Sequence[EvalRun],
    *,
    window_s: float = 7 * DAY,
    threshold: float = 0.03,
    alpha: float = 0.01,
    rerun: Rerun | None = None,
    rerun_design: bool = True,
    advice: bool = True,
) -> Comparison:
    """The drift verdict of ``run`` against the earlier runs of its suite in ``history``.

    ``rerun`` is the re-run asked for by an earlier call's ``needs_rerun``; ``rerun_design``
    says whether a re-run is part of the design (it halves the first stage's level); ``advice``
    computes the detectable drop for other repetition counts. See the module docstring.
    """
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
            fingerprint_now=_fingerprint(run),
        )  # fmt: skip
    last = window[-1]
    changes = _changes(run, last)
    candidates, old_model = _windows(run, window, history, window_s)
    found = [
        evidence(w, rerun, alpha=alpha, threshold=threshold, design=rerun_design)
        for w in candidates
    ]
    best = _pick(found)
    status: Status = (
        "REGRESSION"
        if any(e.regression for e in found)
        else "WARN"
        if any(e.overall_p < WARN_FACTOR * e.level for e in found)
        else "OK"
    )
    needs = status != "REGRESSION" and rerun is None and any(e.needs_rerun for e in found)
    cause, attribution = _attribute(status, changes, old_model, model_now, best)
    fp_before, fp_now = _fingerprint(last), _fingerprint(run)
    if cause == "none" and status != "OK":
        attribution = (
            "no tracked change (model id, suite, config, code): the provider may have changed "
            "behaviour behind the same model id"
        )
        if fp_before and fp_now and fp_before != fp_now:
            attribution += f"; system_fingerprint {fp_before} → {fp_now}"
    first = found[0]
    baseline_tally = case_tally(best.window.baseline)
    now_tally = case_tally(best.window.post)
    flaky = sorted(
        (
            CaseTally(k, p, n, *now_tally.get(k, (0, 0)))
            for k, (p, n) in case_tally(first.window.baseline).items()
            if 0 < p < n
        ),
        key=lambda t: (abs(t.rate_before - 0.5), t.case_id),
    )
    return Comparison(
        status=status,
        cause=cause,
        attribution=attribution,
        current=best.current,
        baseline=best.baseline,
        difference=rate_difference(best.current, best.baseline),
        test=best.as_paired_test(),
        threshold=threshold,
        alpha=alpha,
        min_detectable_drop=first.detectable_drop(),
        window_runs=len(window),
        baseline_runs=len(best.window.baseline),
        model_before=old_model or last.model_reported,
        model_now=model_now,
        changes=changes,
        flipped=flipped_cases(best, rerun, alpha=alpha),
        flaky=flaky,
        new_cases=sorted(set(now_tally) - set(baseline_tally)),
        removed_cases=sorted(set(baseline_tally) - set(now_tally)),
        post_runs=len(best.window.post),
        look=best.window.look,
        level=best.level,
        needs_rerun=needs,
        rerun_calls=rerun.run.total if rerun is not None else 0,
        rerun_cost_usd=rerun.cost_usd if rerun is not None else None,
        rerun_estimate=rerun_estimate(rerun) if rerun is not None else None,
        fingerprint_before=fp_before,
        fingerprint_now=fp_now,
        repeat_advice=first.repeat_advice() if advice else [],
        cases_compared=list(first.cases),
    )


def _pick(found: list[Evidence]) -> Evidence:
    """The change point with the strongest evidence relative to the level it may spend."""
    return min(found, key=lambda e: (not e.regression, e.overall_p / e.level, e.window.look))


def _attribute(
    status: Status,
    changes: list[str],
    old_model: str | None,
    model_now: str | None,
    best: Evidence,
) -> tuple[Cause, str]:
    if old_model is not None:
        since = "" if best.window.look == 1 else f" ({best.window.look} runs since the change)"
        return "model", f"model changed: {old_model} → {model_now}{since}"
    kinds: tuple[Cause, ...] = ("suite", "config", "code")
    for kind in kinds:
        hit = next((c for c in changes if c.startswith(kind)), None)
        if hit is not None:
            return kind, hit
    return "none", "no change in model, suite, config or code since the last run"
