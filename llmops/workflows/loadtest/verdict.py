"""The verdict of a ladder: the knee, the ceiling, a queue limit, what failed, the SLO gate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmops.stats.knee import Knee, LoadPoint, knee_of, littles_law_limit, queue_limit_below
from llmops.workflows.loadtest.explain import (
    END_TO_END_KINDS,
    breaker_lines,
    cause_clause,
    degraded_line,
)
from llmops.workflows.loadtest.metrics import LevelResult
from llmops.workflows.loadtest.options import LoadtestOptions, SloClause

__all__ = ["SloCheck", "SloOutcome", "Verdict", "check_slo", "make_verdict", "slo_value"]


@dataclass(frozen=True, slots=True)
class SloCheck:
    """One SLO clause at the peak level: what was measured and whether it held."""

    clause: str
    measured: float | None
    passed: bool


@dataclass(frozen=True, slots=True)
class SloOutcome:
    """The SLO gate at ``peak``: ``passed`` only when every clause held there."""

    peak: float
    passed: bool
    checks: tuple[SloCheck, ...]
    reason: str = ""


@dataclass(slots=True)
class Verdict:
    """What the ladder showed, as numbers and as sentences (``lines``)."""

    knee: Knee | None
    last_good_load: float | None
    throughput_ceiling_rps: float
    ceiling_load: float | None
    recommended_queue_limit: int | None
    knee_in_flight: float | None
    littles_law_limit: int | None
    dominant_failure: str | None
    dominant_failure_share: float | None
    client_bound_loads: list[float]
    slo: SloOutcome | None
    lines: list[str] = field(default_factory=list)


def slo_value(level: LevelResult, metric: str) -> float | None:
    """The measured value an SLO metric names, in seconds or as a fraction."""
    if metric == "success":
        return level.success_rate
    if metric == "degraded":
        return level.degraded_rate
    if metric == "upstream_success":
        return level.upstream_success_rate if level.upstream_attempts else None
    if metric == "rate_429":
        return level.rate_429
    if metric == "throughput":
        return level.throughput_rps
    table = level.latency_ms
    key = metric
    if metric.startswith("ttft_"):
        table, key = level.ttft_ms, metric[5:]
    if table is None or key not in table:
        return None
    return table[key] / 1000


def check_slo(
    levels: Sequence[LevelResult], clauses: Sequence[SloClause], peak: float
) -> SloOutcome:
    """Every clause at the level whose load is ``peak`` (a level not reached fails)."""
    level = next((lv for lv in levels if lv.load == peak), None)
    if level is None:
        checks = tuple(SloCheck(c.text, None, False) for c in clauses)
        return SloOutcome(peak, False, checks, "the peak level was not run (stopped early)")
    checks = tuple(
        SloCheck(c.text, slo_value(level, c.metric), c.holds(slo_value(level, c.metric)))
        for c in clauses
    )
    return SloOutcome(peak, all(c.passed for c in checks), checks)


def _unit(options: LoadtestOptions) -> str:
    return "req/s offered" if options.open_loop else "clients"


def make_verdict(
    levels: Sequence[LevelResult], options: LoadtestOptions, *, target_kind: str = "openai"
) -> Verdict:
    """Find the knee and derive the rest; ``lines`` say it in words with the numbers.

    ``target_kind`` is the target's (:attr:`~llmops.workflows.target.Target.kind`): for the
    team's own feature (``function``, ``http``) the words speak of the feature's errors, and
    of no upstream, breaker or fallback of the engine's, as none sits in front of it.
    """
    unit = _unit(options)
    end_to_end = target_kind in END_TO_END_KINDS
    points = [LoadPoint(lv.load, lv.success_rate, lv.p99_s, lv.throughput_rps) for lv in levels]
    knee = knee_of(
        points,
        success_margin=options.success_margin,
        latency_elasticity=options.latency_elasticity_threshold,
        throughput_elasticity=options.throughput_elasticity,
    )
    ceiling = max(levels, key=lambda lv: lv.throughput_rps, default=None)
    lines: list[str] = []
    last_good = knee_in_flight = limit = None
    dominant = share = None
    if knee is not None:
        at = levels[knee.index]
        last_good = levels[knee.index - 1].load if knee.index > 0 else None
        prev = levels[knee.index - 1] if knee.index > 0 else None
        if options.open_loop:  # in flight by Little's law: arrival rate x time in the system
            knee_in_flight = at.in_flight_mean
            good_in_flight = prev.in_flight_mean if prev is not None else None
        else:  # a closed loop keeps exactly that many requests in flight
            knee_in_flight = at.load
            good_in_flight = prev.load if prev is not None else None
        limit = queue_limit_below(knee_in_flight, good_in_flight)
        lines.append(f"Knee at {knee.load:g} {unit}: {knee.reason}.")
        dominant, share, line = _dominant_failure(levels[knee.index :], end_to_end)
        lines.append(
            f"Past the knee, {line}."
            if dominant
            else "Past the knee nothing failed: latency absorbed the load (queueing)."
        )
        refusing = [] if end_to_end else breaker_lines(levels, unit)
        opened = (
            None if end_to_end else next((lv for lv in levels[knee.index :] if lv.breaker), None)
        )
        if refusing:
            lines += refusing
        elif opened is not None:
            lines.append(
                f"The engine's circuit breaker moved at {opened.load:g} {unit}: {opened.breaker[0]}."
            )
    elif not levels:
        lines.append("No level finished: nothing to judge.")
    elif levels[0].success_rate < 1 - options.success_margin:
        # no level coped, so there is no knee to find: the ceiling is not above anything
        first = levels[0]
        dominant, share, line = _dominant_failure(levels, end_to_end)
        lines.append(
            f"No knee: already at the lowest level ({first.load:g} {unit}) only "
            f"{first.success_rate:.1%} succeeded, so the target failed before load mattered"
            + (f"; {line}." if dominant else ".")
        )
    else:
        lines.append(
            f"No knee up to {levels[-1].load:g} {unit}: the ceiling is above the highest level tried."
        )
    if not end_to_end:  # the engine's breaker and the feature's fallback, seen through it
        if knee is None:
            lines += breaker_lines(levels, unit)
        fallback = degraded_line(levels, unit)
        if fallback is not None:
            lines.append(fallback)
    if ceiling is not None and ceiling.throughput_rps > 0:
        lines.append(
            f"Throughput ceiling: {ceiling.throughput_rps:.1f} answers/s (at {ceiling.load:g} {unit})."
        )
    little = None
    if options.latency_budget_s is not None and ceiling is not None and ceiling.throughput_rps > 0:
        little = littles_law_limit(ceiling.throughput_rps, options.latency_budget_s)
        lines.append(
            f"By Little's law, {ceiling.throughput_rps:.1f}/s x {options.latency_budget_s:g} s "
            f"latency budget: at most {little} requests in the system."
        )
    bases: list[tuple[int, str]] = []
    if limit is not None and knee_in_flight is not None:
        basis = f"90% of the {knee_in_flight:.0f} in flight at the knee"
        if last_good is not None:
            basis += f"; {last_good:g} {unit} still coped"
        bases.append((limit, basis))
    if little is not None:
        bases.append((little, "Little's law with the latency budget"))
    if bases:
        limit, basis = min(bases)
        if len(bases) == 2:
            basis += f", the smaller of {bases[0][0]} and {bases[1][0]}"
        where = (
            "cap the feature's own admission (in flight + waiting) at it"
            if end_to_end
            else "set limits.max_concurrency + limits.queue_limit to it"
        )
        lines.append(
            f"Recommended queue limit: {limit} requests in flight and waiting ({basis}); {where}."
        )
    bound = [lv.load for lv in levels if lv.client_bound]
    if bound:
        why = "; ".join(
            f"{lv.load:g}: {', '.join(lv.self_check.get('reasons', []))}"
            for lv in levels
            if lv.client_bound
        )
        lines.append(
            f"Client-bound at {', '.join(f'{b:g}' for b in bound)} {unit} ({why}): there the "
            "load generator, not the target, was the bottleneck, so those figures understate "
            "the target."
        )
        if knee is not None and knee.load in bound:
            lines.append(
                "The knee itself may be the load generator's: rerun with fewer levels or a faster client."
            )
    slo = None
    if options.slo:
        peak = options.peak if options.peak is not None else options.loads[-1]
        slo = check_slo(levels, options.slo, peak)
        status = "met" if slo.passed else "NOT met"
        detail = ", ".join(
            f"{c.clause} ({_fmt(c.measured, c.clause)}{'' if c.passed else ' ✗'})"
            for c in slo.checks
        )
        lines.append(
            f"SLO at {peak:g} {unit} {status}: {detail}{'; ' + slo.reason if slo.reason else ''}."
        )
    return Verdict(
        knee=knee,
        last_good_load=last_good,
        throughput_ceiling_rps=ceiling.throughput_rps if ceiling else 0.0,
        ceiling_load=ceiling.load if ceiling else None,
        recommended_queue_limit=limit,
        knee_in_flight=knee_in_flight,
        littles_law_limit=little,
        dominant_failure=dominant,
        dominant_failure_share=share,
        client_bound_loads=bound,
        slo=slo,
        lines=lines,
    )


def _dominant_failure(
    levels: Sequence[LevelResult], end_to_end: bool = False
) -> tuple[str | None, float | None, str]:
    """The most common failure class over ``levels`` (user failures, else upstream ones
    absorbed by the engine's retries: none for the feature called end to end), its share,
    and a clause saying so."""
    kinds = [("failures", [lv.errors_by_class for lv in levels])]
    if not end_to_end:
        kinds.append(
            (
                "upstream failures (absorbed by retries or fallbacks)",
                [lv.upstream_errors_by_class for lv in levels],
            )
        )
    for where, counted in kinds:
        counts = Counter[str]()
        for by_class in counted:
            counts.update(by_class)
        if counts:
            name, count = counts.most_common(1)[0]
            total = sum(counts.values())
            cause = cause_clause(levels, end_to_end=end_to_end)
            return (
                name,
                count / total,
                f"{where} were mostly {name} ({count / total:.0%} of {total})"
                + (f"; {cause}" if cause else ""),
            )
    return None, None, ""


def _fmt(value: float | None, clause: str) -> str:
    if value is None:
        return "not measured"
    name = clause.lstrip()
    if name.startswith(("p", "max", "ttft")):
        return f"{value * 1000:.0f} ms"
    if name.startswith("throughput"):
        return f"{value:.1f}/s"
    return f"{value:.1%}"
