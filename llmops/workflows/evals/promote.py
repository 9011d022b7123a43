"""``--candidate-model``: the same suite on the current and a candidate model, paired.

A model update is treated as a deployment event: promote the candidate only when its pass rate
is not lower by more than the threshold and the paired test (McNemar over (case, repetition)
pairs) does not show it significantly worse; otherwise hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from llmops.stats.drift import (
    PairedTest,
    PassRate,
    RateDifference,
    mcnemar,
    pass_rate,
    rate_difference,
)
from llmops.workflows.evals.compare import discordant_pairs
from llmops.workflows.evals.records import EvalRun


@dataclass(slots=True)
class Promotion:
    """The promote/hold verdict with its evidence: ``candidate_model`` is the model asked for,
    ``candidate_reported`` the one its responses reported."""

    verdict: Literal["promote", "hold"]
    reason: str
    current_model: str | None
    candidate_model: str | None
    current: PassRate
    candidate: PassRate
    difference: RateDifference
    test: PairedTest
    worse: list[str] = field(default_factory=list)
    better: list[str] = field(default_factory=list)
    candidate_reported: str | None = None


def compare_candidate(
    current: EvalRun, candidate: EvalRun, *, threshold: float = 0.03, alpha: float = 0.01
) -> Promotion:
    """Pair the two runs' trials by (case, repetition) and decide promote or hold."""
    worse, better = discordant_pairs(current, candidate)
    test = mcnemar(len(worse), len(better))
    cur = pass_rate(current.passed, current.total)
    cand = pass_rate(candidate.passed, candidate.total)
    diff = rate_difference(cand, cur)
    drop = -diff.diff
    if test.direction == "drop" and test.p_value < alpha:
        verdict: Literal["promote", "hold"] = "hold"
        reason = f"candidate is significantly worse (McNemar p={test.p_value:.2g})"
    elif drop > threshold:
        verdict = "hold"
        reason = f"candidate passes {drop * 100:.1f} points less (threshold {threshold * 100:g})"
    else:
        verdict = "promote"
        reason = f"candidate is not worse by more than {threshold * 100:g} points"
        if test.direction == "rise" and test.p_value < alpha:
            reason = f"candidate is significantly better (McNemar p={test.p_value:.2g})"
    return Promotion(
        verdict,
        reason,
        current.model_reported or current.model_requested,
        candidate.model_requested or candidate.model_reported,
        cur,
        cand,
        diff,
        test,
        sorted(set(worse)),
        sorted(set(better)),
        candidate.model_reported,
    )
