"""Significance of segment failure rates and of distribution shifts, from plain counts.

Every p-value comes from :mod:`scipy.stats`; this module only chooses the test and shapes the
counts:

- :func:`rate_difference_test`: a segment's failure rate against the rest of the requests, as a
  2x2 table. Fisher's exact test (two-sided) when any expected cell count is below
  :data:`FISHER_BELOW_EXPECTED`, otherwise the G-test (log-likelihood ratio, no continuity
  correction) — the same decision rule textbooks give for chi-square.
- :func:`adjust_bh`: Benjamini-Hochberg adjusted p-values (q-values) across all tests made.
- :func:`population_stability_index` and :func:`shift_test`: how much a feature's distribution
  moved between a baseline and the current period (PSI, and a chi-square test of homogeneity).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "FISHER_BELOW_EXPECTED",
    "PSI_EPSILON",
    "RateTest",
    "adjust_bh",
    "format_p",
    "population_stability_index",
    "rate_difference_test",
    "shift_test",
]


def _stats() -> Any:
    """scipy.stats, imported on first use: the log-scanning worker processes never load it.

    ``llmops profile`` starts the import early, in the background (:func:`llmops._preload.preload`);
    this import then waits for that one.
    """
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    return stats


#: Fisher's exact test is used when any expected cell count is below this
FISHER_BELOW_EXPECTED = 5.0
#: share given to an empty bin in the PSI so the logarithm stays finite
PSI_EPSILON = 1e-4


@dataclass(frozen=True, slots=True)
class RateTest:
    """Result of :func:`rate_difference_test`: the two rates, their difference and a p-value."""

    rate: float
    rest_rate: float
    difference: float
    p_value: float
    method: str


def rate_difference_test(failures: int, n: int, rest_failures: int, rest_n: int) -> RateTest:
    """Compare ``failures/n`` in a segment with ``rest_failures/rest_n`` outside it.

    Raises :class:`ValueError` when a group is empty or a count is out of range.
    """
    if n <= 0 or rest_n <= 0:
        raise ValueError(f"both groups need requests, got n={n}, rest_n={rest_n}")
    if not (0 <= failures <= n and 0 <= rest_failures <= rest_n):
        raise ValueError("failures must lie between 0 and the group size")
    rate, rest_rate = failures / n, rest_failures / rest_n
    table = np.array([[failures, n - failures], [rest_failures, rest_n - rest_failures]])
    total_fail = failures + rest_failures
    total = n + rest_n
    if total_fail in (0, total):
        return RateTest(rate, rest_rate, rate - rest_rate, 1.0, "none")
    expected = np.outer([n, rest_n], [total_fail, total - total_fail]) / total
    if float(expected.min()) < FISHER_BELOW_EXPECTED:
        p = float(_stats().fisher_exact(table, alternative="two-sided").pvalue)
        method = "fisher"
    else:
        result = _stats().chi2_contingency(table, correction=False, lambda_="log-likelihood")
        p = float(result.pvalue)
        method = "g-test"
    return RateTest(rate, rest_rate, rate - rest_rate, min(1.0, p), method)


def adjust_bh(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the input order (``[]`` for no tests)."""
    if not p_values:
        return []
    adjusted = _stats().false_discovery_control(np.asarray(p_values, dtype=np.float64), method="bh")
    return [float(q) for q in adjusted]


def _shares(counts: Sequence[int]) -> npt.NDArray[np.float64]:
    arr = np.asarray(counts, dtype=np.float64)
    total = arr.sum()
    if total <= 0:
        raise ValueError("a distribution needs at least one count")
    shares: npt.NDArray[np.float64] = np.maximum(arr / total, PSI_EPSILON)
    return shares


def population_stability_index(baseline: Sequence[int], current: Sequence[int]) -> float:
    """PSI = Σ (c - b) · ln(c / b) over bins of two count vectors of the same bins.

    Empty bins get the share :data:`PSI_EPSILON`. Rule of thumb: < 0.1 stable, 0.1-0.25 moderate
    shift, > 0.25 major shift.
    """
    if len(baseline) != len(current):
        raise ValueError("baseline and current need the same bins")
    b, c = _shares(baseline), _shares(current)
    return float(np.sum((c - b) * np.log(c / b)))


def shift_test(baseline: Sequence[int], current: Sequence[int]) -> float:
    """p-value of a chi-square test that both count vectors come from one distribution.

    Bins empty in both periods are dropped; with fewer than two bins left the answer is 1.0.
    """
    pairs = [(b, c) for b, c in zip(baseline, current, strict=True) if b + c > 0]
    if len(pairs) < 2 or sum(b for b, _ in pairs) == 0 or sum(c for _, c in pairs) == 0:
        return 1.0
    table = np.array(pairs, dtype=np.int64).T
    return float(_stats().chi2_contingency(table, correction=False).pvalue)


def format_p(p: float) -> str:
    """``p<0.001``, ``p=0.012``, ``p=0.34``: the way findings quote a p-value."""
    if math.isnan(p):
        return "p=n/a"
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.1 else f"p={p:.2f}"
