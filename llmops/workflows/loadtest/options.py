"""What a load test is asked to do, and the parsers for its command-line spellings.

Every parser raises :class:`~llmops.errors.InputError` naming the option, the value and what
was expected, so the CLI prints one line and exits 2. :class:`LoadtestOptions` checks itself
the same way when it is built, so a library caller cannot build options the command line
would refuse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from llmops.durations import parse_duration
from llmops.errors import InputError, did_you_mean

__all__ = [
    "DEFAULT_LEVELS",
    "LoadtestOptions",
    "SloClause",
    "parse_levels",
    "parse_rates",
    "parse_shard",
    "parse_slo",
    "parse_start_at",
    "parse_workers",
]

#: the ladder run when neither levels nor rates are given
DEFAULT_LEVELS = (10, 25, 50, 100)
_SLO = re.compile(r"^\s*([a-z_0-9.]+)\s*(<=|>=|<|>)\s*([0-9.]+)\s*(ms|s|%)?\s*$")

#: metrics an SLO clause may name: latency percentiles (seconds) and rates (fractions)
SLO_METRICS = (
    "p50",
    "p90",
    "p95",
    "p99",
    "max",
    "ttft_p50",
    "ttft_p95",
    "ttft_p99",
    "success",
    "degraded",
    "upstream_success",
    "rate_429",
    "throughput",
)


def _numbers(text: str, option: str, what: str) -> list[float]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise InputError(f"{option}: got {text!r}, expected {what}")
    values: list[float] = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"{option}: got {part!r} in {text!r}, expected {what}") from None
        if value <= 0:
            raise InputError(f"{option}: got {part!r}, expected {what}")
        values.append(value)
    if values != sorted(set(values)):
        raise InputError(f"{option}: got {text!r}, expected {what} in increasing order")
    return values


def parse_levels(text: str) -> list[int]:
    """``"10,25,50,100"``: positive whole numbers of concurrent clients, increasing."""
    what = "comma-separated positive whole numbers, e.g. 10,25,50,100"
    values = _numbers(text, "--levels", what)
    if any(v != int(v) for v in values):
        raise InputError(f"--levels: got {text!r}, expected {what}")
    return [int(v) for v in values]


def parse_rates(text: str) -> list[float]:
    """``"2,5,10,20"``: positive request rates (per second), increasing."""
    return _numbers(text, "--rates", "comma-separated positive requests/s, e.g. 2,5,10,20")


@dataclass(frozen=True, slots=True)
class SloClause:
    """One SLO clause, e.g. ``p95<=2s``: ``metric`` ``op`` ``value`` (seconds or a fraction)."""

    metric: str
    op: str
    value: float
    text: str

    def holds(self, measured: float | None) -> bool:
        """Whether ``measured`` meets the clause (an unmeasured value never does)."""
        if measured is None:
            return False
        if self.op == "<=":
            return measured <= self.value
        if self.op == "<":
            return measured < self.value
        if self.op == ">=":
            return measured >= self.value
        return measured > self.value


def parse_slo(text: str) -> list[SloClause]:
    """``"p95<=2s,success>=99%,degraded<=1%"``: latencies take ``s`` or ``ms`` (a bare number
    is refused: the table shows ms, a duration elsewhere means s, so neither reading is safe),
    rates ``%`` or a fraction."""
    clauses: list[SloClause] = []
    for raw in (p.strip() for p in text.split(",")):
        m = _SLO.match(raw)
        if not raw or not m:
            raise InputError(
                f"--slo: got {raw!r}, expected clauses like p95<=2s or success>=99% "
                "separated by commas"
            )
        metric, op, number, unit = m.group(1), m.group(2), float(m.group(3)), m.group(4)
        if metric not in SLO_METRICS:
            extra = did_you_mean(
                metric, SLO_METRICS, otherwise=f" (one of {', '.join(SLO_METRICS)})"
            )
            raise InputError(f"--slo: unknown metric {metric!r} in {raw!r}{extra}")
        is_latency = metric.startswith(("p", "max", "ttft"))
        if is_latency:
            if unit == "%":
                raise InputError(f"--slo: {raw!r}: a latency takes s or ms, not %")
            if unit is None:
                raise InputError(
                    f"--slo: {raw!r}: a latency needs its unit, ms or s "
                    f"(e.g. {metric}{op}{m.group(3)}ms or {metric}{op}{m.group(3)}s)"
                )
            value = parse_duration(m.group(3) + unit, where="--slo", allow_zero=True)
        elif metric == "throughput":
            if unit is not None:
                raise InputError(f"--slo: {raw!r}: throughput is requests/s, without a unit")
            value = number
        else:
            if unit in ("s", "ms"):
                raise InputError(f"--slo: {raw!r}: a rate takes % or a fraction, not {unit}")
            value = number / 100 if unit == "%" else number
            if value > 1:
                raise InputError(f"--slo: {raw!r}: a rate is at most 100%")
        clauses.append(SloClause(metric, op, value, raw))
    return clauses


@dataclass(frozen=True, slots=True)
class LoadtestOptions:
    """Everything ``llmops loadtest`` takes besides the target.

    Either ``levels`` (closed loop: that many concurrent clients, each sending its next
    request when the last one ends) or ``rates`` (open loop: Poisson arrivals per second);
    with neither, :data:`DEFAULT_LEVELS`. Per level, ``requests`` measured requests (after
    ``warmup`` discarded ones), or for ``duration_s`` seconds when it is set.

    Raises :class:`~llmops.errors.InputError` (naming the command-line option) for values
    ``llmops loadtest`` would refuse: both levels and rates, both requests and a duration,
    loads not positive and increasing, a ``peak`` that is not one of the loads or comes
    without an SLO, a ``stop_on_success_below`` outside (0, 1], counts below their minimum.
    """

    levels: tuple[int, ...] = DEFAULT_LEVELS
    rates: tuple[float, ...] = ()
    requests: int | None = None
    duration_s: float | None = None
    warmup: int | None = None
    stream: bool = False
    max_tokens: int = 128
    raw: bool = False
    timeout_s: float = 60.0
    stop_on_success_below: float | None = None
    slo: tuple[SloClause, ...] = ()
    peak: float | None = None
    latency_budget_s: float | None = None
    success_margin: float = 0.05
    latency_elasticity: float | None = None
    throughput_elasticity: float = 0.5
    seed: int = 0
    progress_interval_s: float = 0.25
    #: use the config's shared state (``state: redis``) instead of state of the run's own
    shared_state: bool = False

    def __post_init__(self) -> None:
        if self.rates and self.levels and self.levels != DEFAULT_LEVELS:
            raise InputError("--levels and --rates: give one (closed loop or open loop), not both")
        if self.rates:
            object.__setattr__(self, "levels", ())
        elif not self.levels:
            object.__setattr__(self, "levels", DEFAULT_LEVELS)
        if self.rates:
            _check_loads(self.rates, "--rates", "positive requests/s")
        else:
            if any(isinstance(v, bool) or v != int(v) for v in self.levels):
                raise InputError(
                    f"--levels: got {self.levels}, expected positive whole numbers of clients"
                )
            _check_loads(self.levels, "--levels", "positive whole numbers of clients")
        if self.requests is not None and self.duration_s is not None:
            raise InputError("--requests and --duration: give one per-level budget, not both")
        _at_least(self.requests, 1, "--requests")
        _at_least(self.max_tokens, 1, "--max-tokens")
        _at_least(self.warmup, 0, "--warmup")
        for value, option in (
            (self.duration_s, "--duration"),
            (self.timeout_s, "--timeout"),
            (self.latency_budget_s, "--latency-budget"),
        ):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise InputError(f"{option}: got {value!r} s, expected a positive duration")
        stop = self.stop_on_success_below
        if stop is not None and not 0 < stop <= 1:
            raise InputError(f"--stop-on-success-below: got {stop}, expected a fraction in (0, 1]")
        if self.peak is not None:
            loads = self.loads
            if self.peak not in loads:
                raise InputError(
                    f"--peak: got {self.peak:g}, expected one of the levels "
                    f"({', '.join(f'{x:g}' for x in loads)})"
                )
            if not self.slo:
                raise InputError("--peak: give --slo too (the SLO checked at the peak level)")

    @property
    def latency_elasticity_threshold(self) -> float:
        """``latency_elasticity``, by default 0.6 in closed loop (past saturation p99 grows
        in proportion to the clients) and 1.0 in open loop (where Poisson bursts raise the
        tail well below saturation, and past it latency grows without bound)."""
        if self.latency_elasticity is not None:
            return self.latency_elasticity
        return 1.0 if self.open_loop else 0.6

    @property
    def open_loop(self) -> bool:
        """True when ``rates`` are given (open-loop mode)."""
        return bool(self.rates)

    @property
    def loads(self) -> tuple[float, ...]:
        """The ladder's steps: rates in open-loop mode, else levels."""
        return tuple(self.rates) if self.rates else tuple(float(x) for x in self.levels)

    def requests_for(self, load: float) -> int:
        """Measured requests at one level: ``requests``, or by default enough for a p99
        (at least 300) and several rounds per client (5 per client)."""
        if self.requests is not None:
            return self.requests
        return max(300, 5 * int(load)) if not self.open_loop else max(100, int(load * 10))

    def warmup_for(self, load: float) -> int:
        """Discarded requests before measuring: ``warmup``, else one per client (closed loop)
        or none (open loop: arrivals do not depend on answers)."""
        if self.warmup is not None:
            return self.warmup
        return 0 if self.open_loop else int(load)


def _check_loads(values: tuple[float, ...], option: str, what: str) -> None:
    shown = ",".join(f"{v:g}" for v in values)
    if any(not (math.isfinite(v) and v > 0) for v in values):
        raise InputError(f"{option}: got {shown}, expected {what}")
    if list(values) != sorted(set(values)):
        raise InputError(f"{option}: got {shown}, expected {what} in increasing order")


def _at_least(value: int | None, least: int, option: str) -> None:
    if value is not None and value < least:
        more = "or more" if least == 0 else "at least"
        expected = f"{least} {more}" if least == 0 else f"{more} {least}"
        raise InputError(f"{option}: got {value}, expected {expected}")


# -- running in parts: --workers, --shard, --start-at (issue 16) --------------------------------


def parse_workers(text: str, cpu_count: int | None = None) -> int:
    """``--workers``: a positive whole number of processes, or ``auto``: the cores this
    process may run on (its CPU affinity where the system tells it, else all the machine's;
    a container's CPU quota is not seen: give the number there)."""
    import os

    if text.strip().lower() == "auto":
        if cpu_count is None:
            affinity = getattr(os, "sched_getaffinity", None)
            cpu_count = len(affinity(0)) if affinity is not None else os.cpu_count()
        return max(1, cpu_count or 1)
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            f"--workers: got {text!r}, expected a whole number of processes >= 1, or auto"
        )
    return value


def parse_shard(text: str) -> tuple[int, int]:
    """``--shard I/N``: this machine's share (1-based ``I``) of ``N``; returns ``(I - 1, N)``."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise InputError(f"--shard: got {text!r}, expected I/N with 1 <= I <= N, e.g. 1/4")
    return int(m.group(1)) - 1, int(m.group(2))


def parse_start_at(text: str) -> float:
    """``--start-at``: a wall-clock time (ISO 8601, UTC unless it names a zone) as Unix seconds."""
    from llmops.timestamps import parse_iso

    stamp = parse_iso(text) if text.strip() else None
    if stamp is None:
        raise InputError(
            f"--start-at: got {text!r}, expected an ISO 8601 time, e.g. 2026-01-31T12:00:00Z"
        )
    return stamp
