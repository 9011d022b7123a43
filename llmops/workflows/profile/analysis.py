"""Which input segments fail more: segments from the tally, tests, BH correction, findings.

Every feature's bins are segments, and so is every pair of bins of two input features. For each
segment with at least ``min_support`` requests (and as many outside it), its failure rate is
compared with the rest's (:func:`llmops.stats.significance.rate_difference_test`), for failures of
any kind and, where a kind is common enough, for each kind (validation, error, fallback). All
p-values are adjusted together (Benjamini-Hochberg). A finding is a segment whose adjusted p is
below ``alpha`` and whose rate is at least ``min_effect`` above the rest's; findings are ranked by
effect x confidence (points x -log10 q, capped at 10) for the segment table.

Those segments are candidates; the findings are the candidates that still hold once the stronger
findings are accounted for (:mod:`llmops.workflows.profile.conditioning`: CMH tests stratified
by the findings kept before). A candidate that does not is listed with what explains it
("explained by: German inputs"). When nothing can be tested (too few requests or failures),
:func:`untestable` says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

import numpy as np

from llmops.stats.intervals import wilson_interval
from llmops.stats.significance import adjust_bh, format_p, rate_difference_test
from llmops.workflows.profile.calls import OUTCOMES
from llmops.workflows.profile.conditioning import Candidate, select_findings
from llmops.workflows.profile.labels import describe
from llmops.workflows.profile.tally import FEATURES, Tally

__all__ = [
    "MIN_FAILURES",
    "PAIR_FEATURES",
    "Segment",
    "Thresholds",
    "find_segments",
    "untestable",
]

#: features whose bins are tested alone: words and tokens track characters (they are shown as
#: distributions), and the response model is missing exactly when a call failed, so it is not a
#: fair segment (its shift is reported with --baseline)
TESTED_FEATURES = (
    "length",
    "chars",
    "lines",
    "code",
    "language",
    "non_ascii",
    "informal",
    "turns",
    "feature",
)
#: input features whose bins are also tested in pairs
PAIR_FEATURES = ("length", "lines", "code", "language", "non_ascii", "informal", "turns", "feature")
#: failure kinds tested on their own when at least this many occurred
MIN_KIND_COUNT = 10
_KIND_INDEX = {name: i + 1 for i, name in enumerate(OUTCOMES)}
#: fewer failures than this in the whole log and no segment is tested
MIN_FAILURES = 10

Conditions = tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Finding thresholds: support (requests), effect (rate difference, 0-1) and FDR level."""

    min_support: int = 20
    min_effect: float = 0.05
    alpha: float = 0.05


@dataclass(frozen=True, slots=True)
class Segment:
    """One tested segment: its counts, rates, test and whether it is a finding."""

    conditions: Conditions
    label: str
    kind: str
    n: int
    failures: int
    rate: float
    interval: tuple[float, float]
    rest_n: int
    rest_rate: float
    difference: float
    p_value: float
    q_value: float
    method: str
    score: float
    finding: bool
    #: labels of the findings that account for this segment's excess failures (a proxy)
    explained_by: tuple[str, ...] = ()
    #: Mantel-Haenszel difference and p-value given the other findings (candidates only)
    conditional_difference: float | None = None
    conditional_p: float | None = None

    @property
    def sentence(self) -> str:
        """The finding in plain words, e.g. "inputs over 2,000 characters fail 15 points more often…"."""
        points = round(self.difference * 100)
        stats = f"({self.rate:.0%} vs {self.rest_rate:.0%}, n={self.n:,}, {format_p(self.q_value)})"
        verb = {
            "failure": "fail",
            "validation_failed": "fail validation",
            "error": "end in an error",
            "degraded": "are served by a fallback",
        }[self.kind]
        return f"{self.label} {verb} {points} points more often {stats}"


def _segments(tally: Tally) -> dict[Conditions, list[int]]:
    index = {name: i for i, name in enumerate(FEATURES)}
    out: dict[Conditions, list[int]] = {}
    for name in TESTED_FEATURES:
        margin = tally.marginal((index[name],))
        known = {k[0]: v for k, v in margin.items() if k[0] is not None and k[0] != -1}
        if len(known) < 2:
            continue
        for value, counts in known.items():
            out[((name, value),)] = counts
        if name == "language":
            top = max((v for v in known if v != "unknown"), key=lambda v: known[v][0], default=None)
            if top is not None:
                rest = [
                    sum(c[j] for v, c in known.items() if v not in (top, "unknown"))
                    for j in range(len(counts))
                ]
                if rest[0]:
                    out[((name, f"!{top}"),)] = rest
    singles = {(f, v): tally_n for ((f, v),), c in out.items() for tally_n in (c[0],)}
    for a, b in combinations(PAIR_FEATURES, 2):
        margin = tally.marginal((index[a], index[b]))
        for (va, vb), counts in margin.items():
            if va in (None, -1) or vb in (None, -1):
                continue
            # a pair holding exactly the requests of one of its bins says nothing new
            if counts[0] in (singles.get((a, va), -1), singles.get((b, vb), -1)):
                continue
            out[((a, va), (b, vb))] = counts
    return out


def _kinds(total: list[int]) -> list[str]:
    failures = total[0] - total[1]
    kinds = ["failure"]
    for kind in OUTCOMES[1:]:
        count = total[_KIND_INDEX[kind]]
        if count >= MIN_KIND_COUNT and count != failures:
            kinds.append(kind)
    return kinds


def find_segments(tally: Tally, thresholds: Thresholds = Thresholds()) -> list[Segment]:
    """Every tested segment, ranked: findings first (by score), then the rest by p-value."""
    if not tally.cells or untestable(tally, thresholds) is not None:
        return []
    width = len(next(iter(tally.cells.values())))
    total = [sum(c[j] for c in tally.cells.values()) for j in range(width)]
    n_all = total[0]
    raw: list[tuple[Conditions, str, int, int, int, Any]] = []
    for conditions, counts in _segments(tally).items():
        n = counts[0]
        if n < thresholds.min_support or n_all - n < thresholds.min_support:
            continue
        for kind in _kinds(total):
            if kind == "failure":
                k, k_all = n - counts[1], n_all - total[1]
            else:
                k, k_all = counts[_KIND_INDEX[kind]], total[_KIND_INDEX[kind]]
            test = rate_difference_test(k, n, k_all - k, n_all - n)
            raw.append((conditions, kind, n, k, n_all - n, test))
    q_values = adjust_bh([t.p_value for *_, t in raw])
    segments: list[Segment] = []
    for (conditions, kind, n, k, rest_n, test), q in zip(raw, q_values, strict=True):
        significant = q < thresholds.alpha and test.difference >= thresholds.min_effect
        confidence = min(-math.log10(max(q, 1e-300)), 10.0)
        segments.append(
            Segment(
                conditions=conditions,
                label=describe(conditions),
                kind=kind,
                n=n,
                failures=k,
                rate=test.rate,
                interval=wilson_interval(k, n),
                rest_n=rest_n,
                rest_rate=test.rest_rate,
                difference=test.difference,
                p_value=test.p_value,
                q_value=q,
                method=test.method,
                score=max(test.difference, 0.0) * 100 * confidence,
                finding=significant,
            )
        )
    return _rank(segments, tally, thresholds, len(raw))


def _memberships(tally: Tally) -> tuple[Any, Any]:
    """Per-cell membership of a segment's conditions (cached per condition), and the counts."""
    keys = list(tally.cells)
    counts = np.asarray(list(tally.cells.values()), dtype=np.float64)
    columns = {name: [k[i] for k in keys] for i, name in enumerate(FEATURES)}
    cache: dict[tuple[str, Any], Any] = {}

    def holds(feature: str, value: Any) -> Any:
        mask = cache.get((feature, value))
        if mask is None:
            col = columns[feature]
            if feature == "language" and isinstance(value, str) and value.startswith("!"):
                out = (v is not None and v not in (value[1:], "unknown") for v in col)
            else:
                out = (v == value and type(v) is type(value) for v in col)
            mask = cache[(feature, value)] = np.fromiter(out, dtype=np.bool_, count=len(col))
        return mask

    def member(conditions: Conditions) -> Any:
        mask = np.ones(len(keys), dtype=np.bool_)
        for feature, value in conditions:
            mask = mask & holds(feature, value)
        return mask

    return member, counts


def _rank(
    segments: list[Segment], tally: Tally, thresholds: Thresholds, tests: int
) -> list[Segment]:
    candidates = sorted(
        (s for s in segments if s.finding), key=lambda s: (-s.score, len(s.conditions))
    )
    kept: list[Segment] = []
    updated: dict[int, Segment] = {}
    if candidates:
        member, counts = _memberships(tally)
        n = counts[:, 0]
        pool = [
            Candidate(
                member(s.conditions),
                n - counts[:, 1] if s.kind == "failure" else counts[:, _KIND_INDEX[s.kind]],
                len(s.conditions),
            )
            for s in candidates
        ]
        sel = select_findings(
            pool, n, alpha=thresholds.alpha, min_effect=thresholds.min_effect, tests=tests
        )
        for i, seg in enumerate(candidates):
            test = sel.tests[i]
            seg = replace(seg, conditional_difference=test.difference, conditional_p=test.p_value)
            if i in sel.explained_by:
                why = tuple(candidates[k].label for k in sel.explained_by[i])
                updated[id(candidates[i])] = replace(seg, finding=False, explained_by=why)
            else:
                updated[id(candidates[i])] = seg
        kept = [updated[id(candidates[i])] for i in sel.kept]
    kept_ids = {id(s) for s in kept}
    rest = sorted(
        (updated.get(id(s), s) for s in segments),
        key=lambda s: (s.difference <= 0, s.q_value, -s.difference),
    )
    return kept + [s for s in rest if id(s) not in kept_ids]


def untestable(tally: Tally, thresholds: Thresholds = Thresholds()) -> str | None:
    """Why no segment can be tested on this tally ("too few failures to test: need ≥ 10"), or
    ``None`` when segments can be tested."""
    n = tally.requests
    failures = n - sum(c[1] for c in tally.cells.values())
    if n < 2 * thresholds.min_support:
        return (
            f"too few requests to test: {n:,} read, need \u2265 {2 * thresholds.min_support} "
            f"(--min-support {thresholds.min_support} inside a segment and outside it)"
        )
    if failures < MIN_FAILURES:
        return f"too few failures to test: {failures} of {n:,} requests failed, need \u2265 {MIN_FAILURES}"
    if failures == n:
        return "every request failed: there is nothing to compare segments with"
    return None
