"""Drift statistics for eval pass rates: intervals, paired tests, and what a suite can detect.

Pure functions of counts (sans-I/O). p-values come from :mod:`scipy.stats` distributions. The
``--compare`` verdict itself is decided by the per-case test of :mod:`llmops.stats.casewise`;
this module keeps the intervals it prints, McNemar for paired runs (the candidate-model verdict)
and the classic stratified test:

- :func:`pass_rate` and :func:`rate_difference`: a pass rate with its Wilson interval, and the
  difference of two with Newcombe's hybrid-score interval (method 10), built from the Wilson ones.
- :func:`mcnemar`: the paired test against one earlier run: exact binomial p and the mid-p
  (Fagerland, Lydersen & Laake 2013 recommend the mid-p; it is the default for the verdict).
- :func:`cochran_mantel_haenszel`: the paired test against a window of runs, one 2x2 table per
  case (stratum): this period vs the window, pass vs fail; the chi-square statistic with R's
  default continuity correction and the Mantel-Haenszel common odds ratio.
- :func:`min_detectable_drop`: the smallest drop, in pass-rate points, that a suite of ``n``
  paired cases can flag at ``alpha``, given how many cases flip at random (McNemar; printed for
  a run that starts the baseline).
- :func:`drift_status`: the rule of issue 5 (drop above a threshold and a significant paired
  test). Measured on quiet suites it WARNs on 17-20% of runs; kept for library users who call
  it with their own test, not used by ``--compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats as sps  # type: ignore[import-untyped]

from llmops.stats.intervals import wilson_interval

Status = Literal["OK", "WARN", "REGRESSION"]


@dataclass(frozen=True, slots=True)
class PassRate:
    """``passed`` of ``n`` trials, the rate and its 95% Wilson interval."""

    passed: int
    n: int
    rate: float
    low: float
    high: float


def pass_rate(passed: int, n: int, z: float = 1.96) -> PassRate:
    """The pass rate ``passed / n`` with its Wilson interval (0 with interval [0, 1] when empty)."""
    low, high = wilson_interval(passed, n, z)
    return PassRate(passed, n, passed / n if n else 0.0, low, high)


@dataclass(frozen=True, slots=True)
class RateDifference:
    """``current - baseline`` (negative is a drop) with Newcombe's 95% interval."""

    diff: float
    low: float
    high: float


def rate_difference(current: PassRate, baseline: PassRate) -> RateDifference:
    """Newcombe's hybrid-score interval for the difference of two independent proportions."""
    p1, p2 = current.rate, baseline.rate
    d = p1 - p2
    low = d - math.sqrt((p1 - current.low) ** 2 + (baseline.high - p2) ** 2)
    high = d + math.sqrt((current.high - p1) ** 2 + (p2 - baseline.low) ** 2)
    return RateDifference(d, max(-1.0, low), min(1.0, high))


@dataclass(frozen=True, slots=True)
class PairedTest:
    """A paired test's result. ``p_value`` is the one the verdict uses.

    ``direction`` is ``"drop"`` when the current period fails more than the baseline,
    ``"rise"`` when it passes more, ``"none"`` when balanced or there is nothing to compare.
    """

    name: str
    statistic: float
    p_value: float
    direction: Literal["drop", "rise", "none"]
    detail: dict[str, float]


def mcnemar(pass_to_fail: int, fail_to_pass: int) -> PairedTest:
    """McNemar's test on the discordant pairs of two runs over the same cases.

    ``pass_to_fail`` counts cases that passed in the earlier run and fail now; ``fail_to_pass``
    the reverse. Under no change each discordant pair goes either way with probability 1/2:
    the exact p is the two-sided binomial test (:func:`scipy.stats.binomtest`); the mid-p
    subtracts the probability of the observed split once. The statistic is the count of
    pass-to-fail pairs.
    """
    b, c = pass_to_fail, fail_to_pass
    if b < 0 or c < 0:
        raise ValueError(f"counts must be >= 0, got {b}, {c}")
    n = b + c
    if n == 0:
        return PairedTest("McNemar", 0.0, 1.0, "none", {"exact_p": 1.0, "mid_p": 1.0})
    exact = float(sps.binomtest(b, n, 0.5).pvalue)
    k = min(b, c)
    mid = min(1.0, 2.0 * float(sps.binom.cdf(k, n, 0.5)) - float(sps.binom.pmf(k, n, 0.5)))
    direction: Literal["drop", "rise", "none"] = "drop" if b > c else "rise" if c > b else "none"
    return PairedTest("McNemar", float(b), mid, direction, {"exact_p": exact, "mid_p": mid})


@dataclass(frozen=True, slots=True)
class Stratum:
    """One case's 2x2 table: passes and fails now, passes and fails in the baseline."""

    passed_now: int
    failed_now: int
    passed_before: int
    failed_before: int


def cochran_mantel_haenszel(strata: Sequence[Stratum], *, correct: bool = True) -> PairedTest:
    """The CMH test of "pass rate now = pass rate before", stratified by case.

    Each stratum is one case; strata with fewer than two trials, or all passes / all fails
    (no variance), carry no information and are skipped, as in R's ``mantelhaen.test``. With
    ``correct`` the statistic is ``(|sum(a - E[a])| - 1/2)^2 / sum(Var a)``, chi-square with
    one degree of freedom (:data:`scipy.stats.chi2`). ``detail`` holds the Mantel-Haenszel
    common odds ratio (odds of passing now vs before; below 1 is a drop).
    """
    dev = var = or_num = or_den = 0.0
    used = 0
    for s in strata:
        a, b, c, d = s.passed_now, s.failed_now, s.passed_before, s.failed_before
        n1, n2, m1, m2 = a + b, c + d, a + c, b + d
        total = n1 + n2
        if total < 2 or n1 == 0 or n2 == 0 or m1 == 0 or m2 == 0:
            continue
        used += 1
        dev += a - n1 * m1 / total
        var += n1 * n2 * m1 * m2 / (total * total * (total - 1))
        or_num += a * d / total
        or_den += b * c / total
    if used == 0 or var <= 0.0:
        return PairedTest("CMH", 0.0, 1.0, "none", {"strata": 0.0, "odds_ratio": 1.0})
    num = abs(dev) - 0.5 if correct else abs(dev)
    statistic = max(0.0, num) ** 2 / var
    p = float(sps.chi2.sf(statistic, 1))
    odds = or_num / or_den if or_den > 0 else math.inf
    direction: Literal["drop", "rise", "none"] = (
        "drop" if dev < 0 else "rise" if dev > 0 else "none"
    )
    return PairedTest("CMH", statistic, p, direction, {"strata": float(used), "odds_ratio": odds})


def min_detectable_drop(n_pairs: int, *, alpha: float = 0.01, noise_flips: int = 0) -> float:
    """The smallest drop (a fraction of ``n_pairs``) the McNemar mid-p flags at ``alpha``.

    The background is ``noise_flips`` discordant pairs split evenly both ways (what a flaky
    suite does by chance); the drop adds ``k`` pass-to-fail pairs on top. Returns ``k / n_pairs``
    for the smallest such ``k``, or ``inf`` when even every case flipping would not suffice.
    """
    if n_pairs <= 0:
        return math.inf
    half = noise_flips // 2
    for k in range(1, n_pairs - 2 * half + 1):
        if mcnemar(half + k, half).p_value < alpha:
            return k / n_pairs
    return math.inf


def drift_status(
    drop: float, test: PairedTest, *, threshold: float = 0.03, alpha: float = 0.01
) -> Status:
    """REGRESSION when ``drop`` (baseline minus current, a fraction) exceeds ``threshold`` and
    ``test`` shows a significant drop; WARN when exactly one of the two holds; OK otherwise."""
    big = drop > threshold
    significant = test.p_value < alpha and test.direction == "drop"
    if big and significant:
        return "REGRESSION"
    if big or significant:
        return "WARN"
    return "OK"
