"""Feature distributions, and how they moved against a baseline period.

With ``--baseline``, every feature's distribution in the current logs is compared with the
baseline's: the population stability index and a chi-square test of homogeneity. Input features
that moved say "the inputs changed"; a moved ``model`` distribution, or a failure rate that rose
while the inputs stayed put, points at the model or the code instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops.stats.significance import population_stability_index, rate_difference_test, shift_test
from llmops.workflows.profile.labels import bin_label
from llmops.workflows.profile.tally import FEATURES, Tally

__all__ = ["Bin", "Distribution", "FeatureShift", "RateChange", "compare", "distributions"]

#: PSI at or above this is a shift worth naming
PSI_SHIFT = 0.1
#: input features (everything but the response-side model and the feature name)
INPUT_FEATURES = frozenset(FEATURES) - {"model", "feature"}


@dataclass(frozen=True, slots=True)
class Bin:
    """One bin of a feature's distribution with its outcome counts."""

    value: Any
    label: str
    n: int
    failures: int


@dataclass(frozen=True, slots=True)
class Distribution:
    """A feature's bins in order, each with requests and failures."""

    feature: str
    bins: tuple[Bin, ...]


@dataclass(frozen=True, slots=True)
class FeatureShift:
    """How one feature's distribution moved from baseline to current."""

    feature: str
    psi: float
    p_value: float
    shifted: bool


@dataclass(frozen=True, slots=True)
class RateChange:
    """Overall failure rate, baseline vs current."""

    baseline_rate: float
    current_rate: float
    p_value: float


def _order(value: Any) -> tuple[int, Any]:
    if value is None or value == -1:
        return (2, "")
    return (0, value) if isinstance(value, int | bool) else (1, str(value))


def distributions(tally: Tally) -> list[Distribution]:
    """Every feature's distribution (bins with no requests omitted)."""
    out = []
    for i, feature in enumerate(FEATURES):
        margin = tally.marginal((i,))
        bins = tuple(
            Bin(value=k[0], label=bin_label(feature, k[0]), n=c[0], failures=c[0] - c[1])
            for k, c in sorted(margin.items(), key=lambda kv: _order(kv[0][0]))
        )
        out.append(Distribution(feature, bins))
    return out


def _failure_totals(tally: Tally) -> tuple[int, int]:
    n = sum(c[0] for c in tally.cells.values())
    return n - sum(c[1] for c in tally.cells.values()), n


def compare(current: Tally, baseline: Tally) -> tuple[list[FeatureShift], RateChange | None]:
    """Per-feature shift (features with at least two bins overall) and the failure-rate change."""
    shifts: list[FeatureShift] = []
    for i, feature in enumerate(FEATURES):
        now = {k[0]: c[0] for k, c in current.marginal((i,)).items()}
        before = {k[0]: c[0] for k, c in baseline.marginal((i,)).items()}
        keys = sorted(set(now) | set(before), key=_order)
        if len(keys) < 2 or not now or not before:
            continue
        b = [before.get(k, 0) for k in keys]
        c = [now.get(k, 0) for k in keys]
        psi = population_stability_index(b, c)
        p = shift_test(b, c)
        shifts.append(FeatureShift(feature, psi, p, psi >= PSI_SHIFT and p < 0.05))
    f_now, n_now = _failure_totals(current)
    f_before, n_before = _failure_totals(baseline)
    change = None
    if n_now and n_before:
        t = rate_difference_test(f_now, n_now, f_before, n_before)
        change = RateChange(baseline_rate=t.rest_rate, current_rate=t.rate, p_value=t.p_value)
    return shifts, change


def verdict(shifts: list[FeatureShift], change: RateChange | None) -> str:
    """One sentence telling "the inputs changed" from "the model changed"."""
    moved_inputs = [s.feature for s in shifts if s.shifted and s.feature in INPUT_FEATURES]
    model_moved = any(s.shifted and s.feature == "model" for s in shifts)
    rate = ""
    if change is not None:
        delta = round((change.current_rate - change.baseline_rate) * 100)
        rate = f"failure rate {change.baseline_rate:.0%} → {change.current_rate:.0%} ({delta:+d} points); "
    if moved_inputs and model_moved:
        return rate + f"both the inputs ({', '.join(moved_inputs)}) and the reported model changed"
    if moved_inputs:
        return rate + f"the inputs changed: {', '.join(moved_inputs)} shifted (PSI ≥ {PSI_SHIFT})"
    if model_moved:
        return rate + "the inputs are stable but the reported model changed"
    return rate + "the input distributions and the reported model are stable"
