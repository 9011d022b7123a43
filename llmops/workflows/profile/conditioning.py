"""Findings that still hold once the stronger findings are accounted for.

A segment can fail more often only because it overlaps a real cause: when German inputs fail,
so do inputs whose non-ASCII share is over 10%, and so does "German, single-line". Such proxies
are not findings. :func:`select_findings` keeps a segment only if it holds *within* the strata
of the findings already kept (forward selection, strongest first):

1. every candidate (a segment whose own test passed the Benjamini-Hochberg threshold) is tested
   with the Cochran-Mantel-Haenszel test, stratified by membership in each finding kept so far
   (with k findings kept, up to 2^k strata; with none, one stratum: a plain chi-square test);
2. a candidate qualifies when its CMH p-value, Bonferroni-corrected for every segment test made
   (``tests``: any segment could have entered), is below ``alpha`` and its Mantel-Haenszel risk difference is at least ``min_effect``;
3. the qualifying candidate with the largest CMH statistic is kept (fewer conditions first on a
   tie), unless a broader qualifying candidate holding all its requests leaves it nothing
   significant of its own: then the broader one is kept ("inputs over 2,000 characters" rather
   than "inputs over 2,000 characters of feature 'summarize'"); every finding kept before it is then re-tested given the others and dropped if it no
   longer holds (a "German, single-line" picked first gives way to "German");
4. repeat until no candidate qualifies.

A dropped candidate is "explained by" the kept findings whose removal from the strata would make
it qualify again (or, when no single one does, the kept findings it overlaps).

Why CMH rather than a logistic model on the binned features: the counts are already a
contingency table per cell of the tally, the test needs no iterative fit (none that can fail to
converge on a sparse table), and its risk difference reads in the same "points" as the rest of
the report. Its limit: a pair of two kept findings is itself a stratum, so an interaction on top
of two kept main effects is reported as explained by them. The statistic is the textbook CMH
sum (no continuity correction); its p-value comes from :func:`scipy.stats.chi2.sf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Candidate", "Conditional", "Selection", "cmh_test", "select_findings"]

Mask = npt.NDArray[np.bool_]
Counts = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Conditional:
    """A CMH test of one segment: statistic, p-value and Mantel-Haenszel risk difference."""

    statistic: float
    p_value: float
    difference: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A segment to select from: which tally cells it holds and its failures per cell."""

    member: Mask
    failures: Counts
    conditions: int


@dataclass(frozen=True, slots=True)
class Selection:
    """Indices of kept candidates (in order), their tests, and who explains each dropped one."""

    kept: list[int]
    tests: dict[int, Conditional]
    explained_by: dict[int, list[int]]


def _chi2_sf(statistic: float) -> float:
    from scipy import stats  # type: ignore[import-untyped,unused-ignore]

    return float(stats.chi2.sf(statistic, 1))


def cmh_test(
    member: Mask, failures: Counts, n: Counts, strata: npt.NDArray[np.int64]
) -> Conditional:
    """CMH test of ``member`` cells against the rest, within each stratum code in ``strata``.

    ``failures`` and ``n`` are per-cell counts. Strata where either group is empty carry no
    information and are skipped; with none left the result is ``(0, 1, 0)``.
    """
    size = int(strata.max()) + 1 if strata.size else 1
    inside = member.astype(np.float64)
    n1 = np.bincount(strata, weights=n * inside, minlength=size)
    a = np.bincount(strata, weights=failures * inside, minlength=size)
    total = np.bincount(strata, weights=n, minlength=size)
    fails = np.bincount(strata, weights=failures, minlength=size)
    n0 = total - n1
    use = (n1 > 0) & (n0 > 0) & (total > 1)
    if not use.any():
        return Conditional(0.0, 1.0, 0.0)
    n1, n0, a, total, fails = n1[use], n0[use], a[use], total[use], fails[use]
    expected = n1 * fails / total
    variance = n1 * n0 * fails * (total - fails) / (total * total * (total - 1))
    den = float(variance.sum())
    weight = n1 * n0 / total
    difference = float((weight * (a / n1 - (fails - a) / n0)).sum() / weight.sum())
    if den <= 0:
        return Conditional(0.0, 1.0, difference)
    statistic = float((a - expected).sum()) ** 2 / den
    return Conditional(statistic, _chi2_sf(statistic), difference)


class _Selector:
    def __init__(self, candidates: Sequence[Candidate], n: Counts, alpha: float, effect: float):
        self.candidates = candidates
        self.n = n
        self.alpha = alpha
        self.effect = effect
        self._strata: dict[tuple[int, ...], npt.NDArray[np.int64]] = {}

    def strata(self, kept: Sequence[int]) -> npt.NDArray[np.int64]:
        key = tuple(sorted(kept))
        code = self._strata.get(key)
        if code is None:
            code = np.zeros(self.n.shape[0], dtype=np.int64)
            for bit, i in enumerate(key):
                code |= self.candidates[i].member.astype(np.int64) << bit
            self._strata[key] = code
        return code

    def test(self, i: int, given: Sequence[int]) -> Conditional:
        c = self.candidates[i]
        return cmh_test(c.member, c.failures, self.n, self.strata(given))

    def holds(self, result: Conditional, tests: int) -> bool:
        return result.p_value * max(tests, 1) < self.alpha and result.difference >= self.effect


def select_findings(
    candidates: Sequence[Candidate],
    n: Counts,
    *,
    alpha: float,
    min_effect: float,
    tests: int = 0,
) -> Selection:
    """Forward selection of the candidates that hold given the ones kept before them.

    ``tests`` is the number of segment tests made (the Bonferroni factor; at least the number
    of candidates).
    """
    factor = max(tests, len(candidates))
    sel = _Selector(candidates, n, alpha, min_effect)
    kept: list[int] = []
    remaining = set(range(len(candidates)))
    max_steps = min(len(candidates), 16)  # 2^16 strata at most
    for _ in range(max_steps):
        results = {i: sel.test(i, kept) for i in remaining}
        qualifying = [i for i, r in results.items() if sel.holds(r, factor)]
        if not qualifying:
            break
        best = max(qualifying, key=lambda i: (results[i].statistic, -candidates[i].conditions, -i))
        best = _broadest(sel, best, qualifying, results, kept, factor)
        kept.append(best)
        remaining.discard(best)
        for earlier in list(kept[:-1]):
            others = [k for k in kept if k != earlier]
            if not sel.holds(sel.test(earlier, others), factor):
                kept.remove(earlier)  # given the newer finding it is a proxy; it may come back
                remaining.add(earlier)
    given = {i: sel.test(i, [k for k in kept if k != i]) for i in kept}
    explained: dict[int, list[int]] = {}
    for i in range(len(candidates)):
        if i in given:
            continue
        given[i] = sel.test(i, kept)
        explained[i] = _explainers(sel, i, kept)
    return Selection(kept, given, explained)


def _broadest(
    sel: _Selector,
    best: int,
    qualifying: list[int],
    results: dict[int, Conditional],
    kept: list[int],
    factor: int,
) -> int:
    """``best``, or the strongest broader qualifying candidate that leaves it nothing of its own."""
    inner = sel.candidates[best].member
    broader = [
        i
        for i in qualifying
        if i != best
        and sel.candidates[i].conditions < sel.candidates[best].conditions
        and not bool((inner & ~sel.candidates[i].member).any())
    ]
    for i in sorted(broader, key=lambda i: -results[i].statistic):
        if not sel.holds(sel.test(best, [*kept, i]), factor):
            return i
    return best


def _explainers(sel: _Selector, i: int, kept: list[int]) -> list[int]:
    """The kept findings without which candidate ``i`` would hold again (else those it overlaps)."""
    if not kept:
        return []
    alone = [k for k in kept if sel.holds(sel.test(i, [j for j in kept if j != k]), 1)]
    if alone:
        return alone
    member = sel.candidates[i].member
    overlap = [k for k in kept if bool((member & sel.candidates[k].member).any())]
    return overlap or list(kept)
