"""What the eval reporters share: per-case summaries and verdict lines from an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from llmops.workflows.evals.eval import EvalOutcome
from llmops.workflows.evals.records import CaseRecord, EvalRun

_LISTED = 10  # cases named per verdict line; the JSON report has them all


@dataclass(slots=True)
class CaseSummary:
    """All trials of one case in a run: passes, a sample output, the first failure's reasons."""

    case_id: str
    passed: int
    total: int
    output: str | None
    latency_s: float
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed == self.total


def case_summaries(run: EvalRun) -> list[CaseSummary]:
    """One :class:`CaseSummary` per case, in suite order."""
    by_id: dict[str, list[CaseRecord]] = {}
    for c in run.cases:
        by_id.setdefault(c.case_id, []).append(c)
    out: list[CaseSummary] = []
    for case_id, trials in by_id.items():
        failed = next((t for t in trials if not t.passed), None)
        reasons: list[str] = []
        if failed is not None:
            if failed.error:
                reasons.append(failed.error)
            reasons += [f"{v.check}: {v.reason}" for v in failed.checks if not v.passed]
        sample = (failed or trials[0]).output
        out.append(
            CaseSummary(
                case_id,
                sum(t.passed for t in trials),
                len(trials),
                sample,
                sum(t.latency_s for t in trials) / len(trials),
                reasons,
            )
        )
    return out


def headline(outcome: EvalOutcome) -> str:
    """One line: suite, pass rate, target and model reported (and PARTIAL after Ctrl-C)."""
    run = outcome.run
    partial = "" if outcome.interrupted is None else f"PARTIAL ({outcome.interrupted}) "
    return (
        f"{partial}{run.suite}: {run.passed}/{run.total} passed ({run.pass_rate:.1%}) on "
        f"{run.target}, model reported {run.model_reported or '-'}"
    )


def verdict_lines(outcome: EvalOutcome) -> list[str]:
    """The comparison and promotion verdicts as plain lines (empty when neither was asked)."""
    lines: list[str] = []
    c = outcome.comparison
    if c is not None:
        lines.append(f"verdict: {c.status} — {c.attribution}")
        if c.cause != "no-baseline" and c.current.n == 0:
            lines.append(
                f"no case in common with the window ({c.window_runs} runs): nothing to compare"
            )
        elif c.cause != "no-baseline":
            lines.append(
                f"pass rate {c.current.rate:.1%} [{c.current.low:.1%}, {c.current.high:.1%}] vs "
                f"window {c.baseline.rate:.1%} [{c.baseline.low:.1%}, {c.baseline.high:.1%}] "
                f"({c.baseline_runs} of {c.window_runs} runs): {c.difference.diff * 100:+.1f} points "
                f"[{c.difference.low * 100:+.1f}, {c.difference.high * 100:+.1f}]"
            )
            lines.append(
                f"paired test: {c.test.name} p={c.test.p_value:.3g} (alpha {c.alpha:g}); "
                f"threshold {c.threshold * 100:g} points"
            )
        if c.post_runs > 1:
            lines.append(f"pooled: the {c.post_runs} runs since the change point (look {c.look})")
        if c.rerun_calls:
            cost = "" if c.rerun_cost_usd is None else f", ${c.rerun_cost_usd:.4f}"
            est = "" if c.rerun_estimate is None else f"; re-run estimate {c.rerun_estimate:.1%}"
            lines.append(f"re-run: {c.rerun_calls} extra calls{cost}{est}")
        elif c.needs_rerun:
            why = f" ({c.rerun_note})" if c.rerun_note else ""
            lines.append(f"re-run: not made{why}; the drop is not yet conclusive")
        if c.current.n or c.cause == "no-baseline":
            lines.append(
                f"minimum detectable drop for this suite: {_points(c.min_detectable_drop)}"
                + (
                    " (first stage at this look's level; a re-run lowers it)"
                    if c.cause != "no-baseline"
                    else ""
                )
            )
        if c.repeat_advice:
            lines.append("with repeat: " + _advice(c.repeat_advice))
        for change in c.changes:
            if change != c.attribution:
                lines.append(f"also: {change}")
        if c.flipped:
            shown = ", ".join(_flip(t) for t in c.flipped[:_LISTED])
            more = len(c.flipped) - _LISTED
            lines.append(
                f"flipped pass → fail: {shown}" + (f" and {more} more" if more > 0 else "")
            )
        if c.flaky:
            lines.append(
                "flaky in the baseline: "
                + ", ".join(f"{t.case_id} ({t.rate_before:.0%})" for t in c.flaky[:_LISTED])
            )
        if c.new_cases or c.removed_cases:
            lines.append(f"cases new: {len(c.new_cases)}, removed: {len(c.removed_cases)}")
    p = outcome.promotion
    if p is not None:
        reported = p.candidate_reported
        seen = f" (reported {reported})" if reported and reported != p.candidate_model else ""
        lines.append(
            f"candidate: {p.verdict.upper()} {p.candidate_model}{seen} — {p.reason}; "
            f"{p.candidate.rate:.1%} vs {p.current.rate:.1%} on {p.current_model}"
        )
        if p.worse:
            lines.append("worse on the candidate: " + ", ".join(p.worse))
    return lines


def _flip(t: object) -> str:
    from llmops.workflows.evals.compare import CaseTally

    assert isinstance(t, CaseTally)
    return (
        f"{t.case_id} ({t.passed_before}/{t.total_before} before, {t.passed_now}/{t.total_now} now)"
    )


def _advice(advice: list[tuple[int, float]]) -> str:
    """The detectable drop per repetition count; counts that give the same drop are folded
    into one "N or more": a drop is modelled as whole cases breaking, so once one broken case
    is caught the drop cannot shrink further and more repeats would not help."""
    parts: list[str] = []
    for i, (r, v) in enumerate(advice):
        if i and v == advice[i - 1][1]:
            continue
        if i + 1 < len(advice) and all(w == v for _, w in advice[i + 1 :]):
            why = " (whole cases breaking: no finer drop)" if v != float("inf") else ""
            parts.append(f"{r} or more → {_points(v)}{why}")
            break
        parts.append(f"{r} → {_points(v)}")
    return ", ".join(parts)


def _points(fraction: float) -> str:
    return "more than the suite has" if fraction == float("inf") else f"{fraction * 100:.1f} points"
