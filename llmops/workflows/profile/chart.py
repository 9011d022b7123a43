"""What the profile charts show: each feature's bins split by outcome (no drawing here).

:func:`outcome_histograms` turns a profile result's distributions into
:class:`OutcomeHistogram` objects: per bin, the requests that succeeded, those that failed and
the failure rate. The HTML reporter draws them (``llmops.reporters.charts``); tests check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmops.workflows.profile import ProfileResult

__all__ = ["CHART_FEATURES", "MAX_BINS", "OutcomeHistogram", "outcome_histograms"]

#: features drawn, in this order, when the result has them
CHART_FEATURES = ("chars", "tokens", "lines", "language", "code", "non_ascii", "informal", "turns")
#: bins drawn per feature (the non-empty ones, in bin order); the JSON report has them all
MAX_BINS = 30


@dataclass(frozen=True, slots=True)
class OutcomeHistogram:
    """One feature's non-empty bins: label, requests ok, requests failed, failure rate (%)."""

    feature: str
    labels: tuple[str, ...]
    ok: tuple[int, ...]
    failed: tuple[int, ...]
    failure_pct: tuple[float, ...]


def outcome_histograms(
    result: ProfileResult, features: Sequence[str] = CHART_FEATURES
) -> list[OutcomeHistogram]:
    """One histogram per feature in ``features`` that has a non-empty bin, in that order."""
    by_name = {d.feature: d for d in result.distributions}
    out: list[OutcomeHistogram] = []
    for name in features:
        dist = by_name.get(name)
        bins = [b for b in dist.bins if b.n][:MAX_BINS] if dist is not None else []
        if bins:
            out.append(
                OutcomeHistogram(
                    feature=name,
                    labels=tuple(b.label for b in bins),
                    ok=tuple(b.n - b.failures for b in bins),
                    failed=tuple(b.failures for b in bins),
                    failure_pct=tuple(b.failures / b.n * 100 for b in bins),
                )
            )
    return out
