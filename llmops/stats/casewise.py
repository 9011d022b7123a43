"""Per-case drift statistics: did the cases fail more than their own history says they should?

Why per case, and why this test (the measured defects are in issue 12):

- **Each case has its own pass probability.** A model at temperature passes some cases always and
  others half the time. The history's per-case pass counts are shrunk towards the suite with an
  empirical-Bayes Beta prior (:func:`beta_prior`, method of moments on the baseline's per-case
  rates), so a case seen 7/7 is expected to fail rarely but not never, and nothing is rounded to
  0 or 1. Under "nothing changed" a case's failures in ``k`` new trials follow the Beta-binomial
  predictive (:data:`scipy.stats.betabinom`).
- **A drop is a few cases that broke, more often than all cases a little.** The statistic sums
  each case's *surprise*, ``-ln P(F >= f)`` under its predictive (Fisher's combination, case by
  case): a reliable case failing counts more than a flaky one, and a case failing every trial of
  the pooled runs counts far more than the same failures spread over several cases. The scores
  are fixed by the history before the new outcomes are looked at, so the test stays exact.
- **Exact, not asymptotic.** The null distribution of the total (scores rounded to a lattice of
  :data:`SCORE_UNIT` nats) is the convolution of the cases' predictive distributions (:func:`scipy.signal.convolve`, a pairwise tree), and the p-value is
  its upper tail. Failures of reliable cases are rare events, so a normal approximation would
  raise too many alarms.
- **Two stages** (:func:`two_stage_p`): when the scheduled run's evidence is suggestive but not
  conclusive, cases are re-run at once and a second, independent p-value (the re-run trials
  against the predictive conditioned on all data before them) is combined with the first by
  Bauer and Koehne's (1994) product rule, whose size is exactly the level spent.
- **Repeated looks** (:func:`look_alpha`): the k-th look after a change point spends
  ``alpha / 2**k``, so the chance of any false alarm over all looks stays below ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal  # type: ignore[import-untyped]
from scipy import stats as sps

__all__ = [
    "LOOK_SHARES",
    "MAX_SURPRISE",
    "RERUN_BELOW",
    "SCORE_UNIT",
    "BetaPrior",
    "SurpriseTest",
    "beta_prior",
    "look_alpha",
    "surprise_test",
    "two_stage_p",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: the resolution of the surprise score (nats per unit of the exact null's lattice)
SCORE_UNIT = 0.25
#: a case's surprise is capped here (nats): one case cannot outweigh the suite on its own
MAX_SURPRISE = 12.0
#: a first-stage p-value below this (but not yet conclusive) asks for an immediate re-run
RERUN_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class BetaPrior:
    """The suite's spread of per-case pass probabilities: Beta(``a``, ``b``)."""

    a: float
    b: float

    @property
    def mean(self) -> float:
        """The prior mean pass probability."""
        return self.a / (self.a + self.b)


def beta_prior(passed: Sequence[int], total: Sequence[int]) -> BetaPrior:
    """Fit Beta(a, b) to per-case pass counts by the method of moments.

    The between-case variance is the observed variance of the per-case rates minus the binomial
    part expected from ``total`` trials each; ``a + b`` (the prior's weight in trials) is
    clipped to [2, 1000] so a handful of cases cannot make it degenerate.
    """
    x = np.asarray(passed, dtype=np.float64)
    m = np.asarray(total, dtype=np.float64)
    keep = m > 0
    if not keep.any():
        return BetaPrior(1.0, 1.0)
    x, m = x[keep], m[keep]
    half = 0.5 / m.sum()  # a suite that never failed is not certain never to fail
    mu = float(np.clip(x.sum() / m.sum(), half, 1.0 - half))
    between = float(np.var(x / m)) - float(np.mean(mu * (1.0 - mu) / m))
    strength = 1000.0 if between <= 0 else mu * (1.0 - mu) / between - 1.0
    strength = min(1000.0, max(2.0, strength))
    return BetaPrior(mu * strength, (1.0 - mu) * strength)


@dataclass(frozen=True, slots=True)
class SurpriseTest:
    """The per-case surprise test of one set of new trials against each case's predictive.

    A case's *surprise* at ``f`` failures is ``-ln P(F >= f)`` under its predictive (0 for no
    failure), counted in units of :data:`SCORE_UNIT` nats; ``statistic`` is the suite's total.
    ``null_pmf[t]`` is P(total = t) when nothing changed, ``p_value`` P(total >= statistic).
    ``fail_rate`` holds each case's predictive failure rate, ``trials`` its new trials,
    ``scores[i][f]`` its surprise at ``f`` failures, ``expected`` its mean surprise and
    ``pmfs[i]`` its (cautious) predictive distribution of failures, the one the test assumes.
    ``likely[i]`` and ``likely_fail_rate`` are the fitted prior's predictive, the best guess of
    what the case will do: the detectable drop is simulated with it, since the cautious one
    expects more failures than will come and would make a drop look easier to see.
    """

    statistic: int
    p_value: float
    null_pmf: FloatArray
    fail_rate: FloatArray
    trials: IntArray
    scores: list[IntArray]
    expected: FloatArray
    pmfs: list[FloatArray]
    likely: list[FloatArray]
    likely_fail_rate: FloatArray

    def critical(self, level: float) -> int:
        """The smallest ``t`` with P(total >= t) <= ``level`` under the null."""
        tail = np.cumsum(self.null_pmf[::-1])[::-1]
        above = np.nonzero(tail <= level)[0]
        return int(above[0]) if above.size else len(self.null_pmf)

    def null_median(self) -> int:
        """The median of the total under the null."""
        return int(np.searchsorted(np.cumsum(self.null_pmf), 0.5))

    def detectable_drop(self, level: float, *, draws: int = 400, seed: int = 0) -> float:
        """The drop (a fraction of trials) that this test flags at ``level`` half the time.

        A drop is modelled as cases that break outright (fail every trial), drawn at random
        until the expected passes lost come closest to the drop (each case's pass rate is its
        likely one). The power at a drop is simulated (``draws`` seeded draws of every case's
        outcome from its likely predictive, the broken cases' replaced by failures) and the
        drop where it reaches one half is found by bisection. Common random numbers make the
        result a deterministic function of the history.
        """
        n = len(self.scores)
        passes = self.trials * (1.0 - self.likely_fail_rate)
        if n == 0 or passes.sum() <= 0:
            return math.inf
        crit = self.critical(level)
        rng = np.random.default_rng(seed)
        u = rng.random((draws, n))
        noise = np.empty((draws, n))
        for i, (pmf, sc) in enumerate(zip(self.likely, self.scores, strict=True)):
            fails = np.minimum(np.searchsorted(np.cumsum(pmf), u[:, i]), len(pmf) - 1)
            noise[:, i] = sc[fails]
        full = np.array([sc[-1] for sc in self.scores], dtype=np.float64)
        order = np.argsort(rng.random((draws, n)), axis=1)
        zero = np.zeros((draws, 1))  # column 0: no case broken
        lost = np.hstack([zero, np.cumsum(passes[order], axis=1) / float(self.trials.sum())])
        gain = np.hstack(
            [zero, np.cumsum(full[order] - np.take_along_axis(noise, order, axis=1), axis=1)]
        )
        base = noise.sum(axis=1)
        rows = np.arange(draws)

        def broken(drop: float) -> npt.NDArray[np.intp]:
            return np.asarray(np.argmin(np.abs(lost - drop), axis=1), dtype=np.intp)

        def power(drop: float) -> float:
            return float(np.mean(base + gain[rows, broken(drop)] >= crit))

        low, high = 0.0, float(lost[:, -1].min())
        if power(high) < 0.5:
            return math.inf
        for _ in range(14):
            mid = (low + high) / 2
            low, high = (low, mid) if power(mid) >= 0.5 else (mid, high)
        # the drop the broken cases really make there (a suite where one broken case is always
        # seen reports that case's drop, not half of it)
        return float(np.mean(lost[rows, broken(high)]))


def _null_pmf(pmfs: list[FloatArray], scores: list[IntArray]) -> FloatArray:
    arrays: list[FloatArray] = []
    for pmf, sc in zip(pmfs, scores, strict=True):
        spread = np.zeros(int(sc[-1]) + 1)
        np.add.at(spread, sc, pmf)
        arrays.append(spread)
    if not arrays:
        return np.ones(1)
    while len(arrays) > 1:
        paired = [
            np.asarray(signal.convolve(arrays[i], arrays[i + 1]), dtype=np.float64)
            for i in range(0, len(arrays) - 1, 2)
        ]
        arrays = paired + ([arrays[-1]] if len(arrays) % 2 else [])
    out = np.clip(arrays[0], 0.0, None)
    return np.asarray(out / out.sum(), dtype=np.float64)


def surprise_test(
    prior: BetaPrior,
    passed_before: npt.ArrayLike,
    total_before: npt.ArrayLike,
    failed_now: npt.ArrayLike,
    trials_now: npt.ArrayLike,
) -> SurpriseTest:
    """Test whether the new trials fail more than each case's predictive says.

    Per case ``i``: ``passed_before[i]`` of ``total_before[i]`` earlier trials passed (the data
    the predictive is conditioned on), and ``failed_now[i]`` of ``trials_now[i]`` new trials
    failed. The predictive is Beta-binomial with the posterior Beta(a + passes, b + fails) of
    the fitted prior or, when it expects more failures, of a weak prior with the same mean and
    one trial's weight. The method-of-moments fit is noisy on tens of cases; an over-confident
    fit shrinks a flaky case's history towards the suite's mean and makes its failures look
    surprising. Taking the posterior that expects more failures, case by case, keeps the test's
    false-alarm rate at or below its level whichever way the fit errs (measured in
    ``benchmarks/drift_power.py``), at some cost in power on flaky cases.

    The statistic sums each case's surprise ``-ln P(F >= f)``: convex in the failures, so a
    reliable case failing every new trial (what a broken case does) counts far more than the
    same number of failures spread over cases, which is what noise does.
    """
    x = np.asarray(passed_before, dtype=np.float64)
    m = np.asarray(total_before, dtype=np.float64)
    f = np.asarray(failed_now, dtype=np.int64)
    k = np.asarray(trials_now, dtype=np.int64)
    # Beta parameters of each case's failure probability: the fitted prior's posterior, or the
    # weak prior's (same mean, one trial's weight) when that one expects more failures
    fit_fail = prior.b + m - x
    fit_pass = prior.a + x
    fail_a, pass_b = fit_fail, fit_pass
    weak_fail = (1.0 - prior.mean) + m - x
    weak_pass = prior.mean + x
    weak = weak_fail / (weak_fail + weak_pass) > fail_a / (fail_a + pass_b)
    fail_a = np.where(weak, weak_fail, fail_a)
    pass_b = np.where(weak, weak_pass, pass_b)
    rate = fail_a / (fail_a + pass_b)
    pmfs: list[FloatArray] = [np.ones(1)] * len(k)
    likely: list[FloatArray] = [np.ones(1)] * len(k)
    scores: list[IntArray] = [np.zeros(1, dtype=np.int64)] * len(k)
    for n in np.unique(k):  # one scipy call per number of trials, all such cases at once
        idx = np.nonzero(k == n)[0]
        support = np.arange(int(n) + 1)[None, :]
        a, b = fail_a[idx, None], pass_b[idx, None]
        pmf = np.asarray(sps.betabinom.pmf(support, int(n), a, b), dtype=np.float64)
        tail = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]  # P(F >= f), summed from the far end
        nats = np.minimum(-np.log(np.clip(tail, 1e-300, 1.0)), MAX_SURPRISE)
        units = np.rint(nats / SCORE_UNIT).astype(np.int64)
        fit = np.asarray(
            sps.betabinom.pmf(support, int(n), fit_fail[idx, None], fit_pass[idx, None]),
            dtype=np.float64,
        )
        for row, i in enumerate(idx):
            pmfs[i], scores[i], likely[i] = pmf[row], units[row], fit[row]
    null = _null_pmf(pmfs, scores)
    t = int(sum(int(sc[fi]) for sc, fi in zip(scores, f, strict=True)))
    p = float(min(1.0, null[t:].sum())) if t < len(null) else 0.0
    expected = np.array([float((sc * pm).sum()) for sc, pm in zip(scores, pmfs, strict=True)])
    fit_rate = fit_fail / (fit_fail + fit_pass)
    return SurpriseTest(t, p, null, rate, k, scores, expected, pmfs, likely, fit_rate)


#: the share of ``alpha`` each look after a change point spends: looks 1, 2, 3, then halving
LOOK_SHARES = (0.5, 0.25, 0.125)


def look_alpha(alpha: float, look: int) -> float:
    """The level the ``look``-th look (1-based) after a change point may spend
    (:data:`LOOK_SHARES`, then half the previous), so every look together spends at most
    ``alpha``."""
    if look < 1:
        raise ValueError(f"looks count from 1, got {look}")
    if look <= len(LOOK_SHARES):
        return alpha * LOOK_SHARES[look - 1]
    return alpha * LOOK_SHARES[-1] / 2.0 ** (look - len(LOOK_SHARES))


def two_stage_p(
    first: float, second: float | None, *, level: float, rerun: bool, below: float = RERUN_BELOW
) -> float:
    """The overall p-value of the two-stage design (Bauer & Koehne 1994).

    Stage one stops with a regression when ``first < level / 2`` and asks for a re-run when
    ``level / 2 <= first < below``; stage two rejects when ``first * second`` is small. The
    returned p is the null probability (``first``, ``second`` independent uniforms) of a result
    at least as extreme, so comparing it with ``level`` is the whole decision. Without a
    re-run design (``rerun`` false) the first p-value stands alone. When the design planned a
    re-run that did not happen (``second`` None: refused by the cost guard), only stage one's
    half of the level was available: ``2 * first``.
    """
    stop = level / 2.0
    if not rerun or first < stop or first >= below:
        return first
    if second is None:
        return min(1.0, 2.0 * first)
    c = first * second
    # P(p1 < stop) + P(stop <= p1 < below, p1 * p2 <= c), p1 and p2 independent uniforms
    return min(1.0, stop + max(0.0, c - stop) + c * math.log(below / max(c, stop)))
