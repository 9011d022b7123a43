"""Knee detection over a load ladder, and queue limits from Little's law. Pure: plain numbers in.

A ladder is a list of :class:`LoadPoint` in increasing load (concurrent clients, or offered
requests per second in open-loop mode). The knee is the first point where the system stops
coping, by any of three signals, each compared with what came before:

- **success**: the success rate falls more than ``success_margin`` below the best success
  rate seen so far (best-so-far, so an early noisy level is never the knee of a later one);
- **latency**: p99 grows about as fast as the load or faster. Below saturation added load
  is absorbed by throughput and latency stays flat; past it throughput is capped and, by
  Little's law (``in_flight = throughput x latency``), latency must grow in proportion to the
  load. The test is the elasticity ``log(p99 growth) / log(load growth)`` against
  ``latency_elasticity`` (0.6 by default: p99 grew at least 60% as fast as load, in log
  terms), and at least ``min_latency_growth`` so noise on a small step does not trigger it;
- **throughput**: answers per second grow much slower than the load (elasticity below
  ``throughput_elasticity``): the same saturation seen from the other side of Little's law,
  and robust when p99 is dominated by a few long answers rather than by queueing;
- **efficiency**: answers per second *per unit of load* (per client; per offered request/s in
  open loop) fall more than ``efficiency_margin`` below the best so far. Below capacity each
  client is served at the same pace; past it the same answers are shared by more clients, so
  this falls as ``capacity / load``. Unlike the step-to-step signals it compares with the
  best level so far, so it also fires when the capacity lies between two steps and neither
  step alone bends far enough (measured: ``benchmarks/knee_accuracy.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Knee",
    "LoadPoint",
    "in_flight",
    "knee_of",
    "littles_law_limit",
    "queue_limit_below",
]


@dataclass(frozen=True, slots=True)
class LoadPoint:
    """One level of a ladder: its load and what was measured there."""

    load: float
    success_rate: float
    p99_s: float | None
    throughput_rps: float = 0.0


@dataclass(frozen=True, slots=True)
class Knee:
    """Where the ladder bent: ``index`` into the points, which signal fired and why, in words."""

    index: int
    load: float
    signal: str
    reason: str
    numbers: dict[str, float] = field(default_factory=dict)


def knee_of(
    points: Sequence[LoadPoint],
    *,
    success_margin: float = 0.05,
    latency_elasticity: float = 0.6,
    min_latency_growth: float = 1.2,
    throughput_elasticity: float = 0.5,
    efficiency_margin: float = 0.2,
) -> Knee | None:
    """The first point where success drops, p99 bends upward, throughput stops growing or
    the throughput per unit of load falls below the best so far; ``None`` when none does.

    ``points`` must be in increasing ``load``. When several signals fire at the same point
    the first of success, latency, throughput, efficiency is reported (a failing user is
    worse than a slow one). A point with no successes has no latency or throughput signal of
    its own.
    """
    best = -1.0
    best_pace: tuple[float, LoadPoint] | None = None
    for i, point in enumerate(points):
        if i > 0 and point.load <= points[i - 1].load:
            raise ValueError("points must be in increasing load")
        if best >= 0 and point.success_rate < best - success_margin:
            return Knee(
                i,
                point.load,
                "success",
                f"success rate {point.success_rate:.1%} at {point.load:g} is more than "
                f"{success_margin:.0%} below the best so far ({best:.1%})",
                {"success_rate": point.success_rate, "best_success_rate": best},
            )
        best = max(best, point.success_rate)
        if i == 0:
            if point.throughput_rps > 0:
                best_pace = (point.throughput_rps / point.load, point)
            continue
        prev = points[i - 1]
        load_growth = point.load / prev.load
        found = _latency_knee(i, point, prev, load_growth, latency_elasticity, min_latency_growth)
        if found is None:
            found = _throughput_knee(i, point, prev, load_growth, throughput_elasticity)
        if found is None and best_pace is not None:
            found = _efficiency_knee(i, point, best_pace, efficiency_margin)
        if found is not None:
            return found
        pace = point.throughput_rps / point.load
        if pace > 0 and (best_pace is None or pace > best_pace[0]):
            best_pace = (pace, point)
    return None


def _latency_knee(
    i: int,
    point: LoadPoint,
    prev: LoadPoint,
    load_growth: float,
    threshold: float,
    min_growth: float,
) -> Knee | None:
    if point.p99_s is None or prev.p99_s is None or prev.p99_s <= 0:
        return None
    growth = point.p99_s / prev.p99_s
    if growth < min_growth:
        return None
    elasticity = math.log(growth) / math.log(load_growth)
    if elasticity < threshold:
        return None
    return Knee(
        i,
        point.load,
        "latency",
        f"p99 grew x{growth:.2f} ({prev.p99_s * 1000:.0f} -> {point.p99_s * 1000:.0f} ms) "
        f"while load grew x{load_growth:.2f} ({prev.load:g} -> {point.load:g}): "
        f"elasticity {elasticity:.2f} >= {threshold:g}, so the target is "
        "queueing instead of serving more",
        {
            "p99_growth": growth,
            "load_growth": load_growth,
            "elasticity": elasticity,
            "p99_s": point.p99_s,
            "previous_p99_s": prev.p99_s,
        },
    )


def _throughput_knee(
    i: int, point: LoadPoint, prev: LoadPoint, load_growth: float, threshold: float
) -> Knee | None:
    if prev.throughput_rps <= 0 or point.throughput_rps <= 0:
        return None
    growth = point.throughput_rps / prev.throughput_rps
    elasticity = math.log(growth) / math.log(load_growth) if growth > 0 else -math.inf
    if elasticity >= threshold:
        return None
    return Knee(
        i,
        point.load,
        "throughput",
        f"throughput grew only x{growth:.2f} ({prev.throughput_rps:.1f} -> "
        f"{point.throughput_rps:.1f} answers/s) while load grew x{load_growth:.2f} "
        f"({prev.load:g} -> {point.load:g}): elasticity {elasticity:.2f} < {threshold:g}, "
        "so the target is saturated and added load only waits",
        {
            "throughput_growth": growth,
            "load_growth": load_growth,
            "elasticity": elasticity,
            "throughput_rps": point.throughput_rps,
            "previous_throughput_rps": prev.throughput_rps,
        },
    )


def _efficiency_knee(
    i: int, point: LoadPoint, best: tuple[float, LoadPoint], margin: float
) -> Knee | None:
    pace, at = best
    if point.throughput_rps <= 0:
        return None
    ratio = point.throughput_rps / point.load / pace
    if ratio >= 1 - margin:
        return None
    return Knee(
        i,
        point.load,
        "efficiency",
        f"answers/s per unit of load fell to {ratio:.0%} of the best so far "
        f"({pace:.3g} at {at.load:g} -> {point.throughput_rps / point.load:.3g} at "
        f"{point.load:g}): more than {margin:.0%} less each, so the target serves at its "
        "capacity and added load shares the same answers",
        {
            "efficiency": ratio,
            "best_per_load": pace,
            "per_load": point.throughput_rps / point.load,
            "best_load": at.load,
        },
    )


def in_flight(throughput_rps: float, mean_latency_s: float) -> float:
    """Little's law: the mean number of requests in the system, ``L = lambda x W``."""
    if throughput_rps < 0 or mean_latency_s < 0:
        raise ValueError("throughput and latency must be non-negative")
    return throughput_rps * mean_latency_s


def littles_law_limit(throughput_rps: float, latency_budget_s: float) -> int:
    """The most requests that may be in the system so that, served at ``throughput_rps``,
    each waits no longer than ``latency_budget_s`` on average (at least 1)."""
    if latency_budget_s <= 0:
        raise ValueError("the latency budget must be positive")
    return max(1, math.floor(in_flight(throughput_rps, latency_budget_s)))


def queue_limit_below(
    knee_in_flight: float, last_good_in_flight: float | None = None, *, headroom: float = 0.9
) -> int:
    """A queue limit slightly below the knee's in-flight count: ``headroom`` of it, but never
    below the last level that still coped (that much was shown to be safe); at least 1."""
    if not 0 < headroom <= 1:
        raise ValueError("headroom must be in (0, 1]")
    limit = math.floor(knee_in_flight * headroom)
    if last_good_in_flight is not None:
        limit = max(limit, math.floor(last_good_in_flight))
    return max(1, min(limit, max(1, math.ceil(knee_in_flight) - 1)))
