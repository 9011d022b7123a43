"""What one level measured, as a record that can be saved, sent between processes and merged.

A :class:`LevelRecord` holds the level's counters, its error classes and every sample (latency,
queue wait, TTFT, ...) exactly, plus the wall-clock times of its measured window and of each
measured answer. Records of the same level from several processes or machines merge by adding
counters and pooling samples (:func:`merge_records`), so a merged percentile *is* the
percentile of all samples (no histogram resolution to state). Rates are taken over the common
steady window: the intersection of the parts' windows, counting the answers that ended in it.

One process's level goes through the same record (:meth:`LevelRecord.summary`), so there is one
summary path whether a level ran in one process or in many.

The JSON form (:meth:`LevelRecord.to_json`) keeps samples as base64 of little-endian float64
(about 11 characters a sample), so a partial report stays small and merges exactly.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from llmops.errors import InputError
from llmops.stats.intervals import percentiles, wilson_interval

__all__ = ["SAMPLE_FIELDS", "LevelRecord", "LevelResult", "merge_records"]

FloatArray = npt.NDArray[np.float64]
_QS = (50, 90, 95, 99)
#: the sample arrays of a record (``ttft``/``itl``/``tpot`` only when streaming)
SAMPLE_FIELDS = ("latency", "service", "queue_wait", "ttft", "itl", "tpot", "ends")
_COUNTERS = (
    "requests",
    "ok",
    "degraded",
    "output_tokens",
    "attempts",
    "upstream_ok",
    "refusals",
    "warmup",
)
#: said in a merged level's self-check when its parts did not run at the same time
NO_COMMON_WINDOW = (
    "the parts did not run at the same time (no common window): rates are over their whole "
    "span, so they understate the level; start shards together (--start-at)"
)
_TALLIES = ("failures", "causes", "upstream_errors", "statuses")


def _empty() -> FloatArray:
    return np.empty(0, dtype=np.float64)


def _ms(values: FloatArray | None) -> dict[str, float] | None:
    if values is None or not values.size:
        return None
    return {k: round(v * 1000, 2) for k, v in percentiles(values, _QS).items()}


def _encode(values: FloatArray) -> str:
    return base64.b64encode(values.astype("<f8").tobytes()).decode("ascii")


def _decode(text: str, where: str) -> FloatArray:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise InputError(f"{where}: expected base64 of float64 samples") from None
    if len(raw) % 8:
        raise InputError(f"{where}: expected base64 of float64 samples")
    return np.frombuffer(raw, dtype="<f8").astype(np.float64)


@dataclass(slots=True)
class LevelResult:
    """Everything measured at one level; see docs/loadtest.md for each field's meaning.

    ``successes``/``ok`` count requests the model answered; ``degraded`` those a fallback
    answered instead (not successes); ``causes`` the upstream failures behind the failures
    and degraded answers, in words."""

    load: float
    mode: str
    requests: int
    successes: int
    ok: int
    degraded: int
    success_rate: float
    degraded_rate: float
    success_ci95: tuple[float, float]
    upstream_attempts: int
    upstream_success_rate: float
    retries: int
    amplification: float
    errors_by_class: dict[str, int]
    upstream_errors_by_class: dict[str, int]
    errors_by_status: dict[str, int]
    causes: dict[str, int]
    breaker_refusals: int
    rate_429: float
    latency_ms: dict[str, float] | None
    service_latency_ms: dict[str, float] | None
    queue_wait_ms: dict[str, float] | None
    ttft_ms: dict[str, float] | None
    itl_ms: dict[str, float] | None
    tpot_ms: dict[str, float] | None
    throughput_rps: float
    request_rate_rps: float
    output_tokens_per_s: float
    in_flight_mean: float
    elapsed_s: float
    warmup: int = 0
    stopped_early: bool = False
    breaker: list[str] = field(default_factory=list)
    self_check: dict[str, Any] = field(default_factory=dict)
    #: per-minute limits the provider advertised in its rate-limit headers at this level
    advertised_limits: dict[str, int] = field(default_factory=dict)

    @property
    def client_bound(self) -> bool:
        """True when the load generator, not the target, was the bottleneck here."""
        return bool(self.self_check.get("client_bound"))

    @property
    def p99_s(self) -> float | None:
        """p99 latency of the answered requests, in seconds."""
        return None if self.latency_ms is None else self.latency_ms["p99"] / 1000


@dataclass(slots=True)
class LevelRecord:
    """What one level measured in one process (or, merged, in several).

    Times ``start``, ``end``, ``steady_end`` and the samples in ``ends`` are wall-clock
    seconds (Unix time), so records from several machines line up. ``ends`` holds when each
    answer of the measured window came (in closed loop also the warm-up answers that came
    after it opened: they are work done in it). ``start`` is when the
    measured window opened (``None``: it never did), ``end`` when its last answer came,
    ``steady_end`` when the first closed-loop client ran out of work (the drain after it, with
    fewer and fewer in flight, would understate the rates). ``self_checks`` has one entry
    per process, each with a ``part`` label.
    """

    load: float
    open_loop: bool = False
    stream: bool = False
    requests: int = 0
    ok: int = 0
    degraded: int = 0
    output_tokens: int = 0
    attempts: int = 0
    upstream_ok: int = 0
    refusals: int = 0
    warmup: int = 0
    latency_sum: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    causes: dict[str, int] = field(default_factory=dict)
    upstream_errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    advertised: dict[str, int] = field(default_factory=dict)
    latency: FloatArray = field(default_factory=_empty)
    service: FloatArray = field(default_factory=_empty)
    queue_wait: FloatArray = field(default_factory=_empty)
    ttft: FloatArray | None = None
    itl: FloatArray | None = None
    tpot: FloatArray | None = None
    ends: FloatArray = field(default_factory=_empty)
    start: float | None = None
    end: float = 0.0
    steady_end: float | None = None
    stopped_early: bool = False
    breaker: list[str] = field(default_factory=list)
    self_checks: list[dict[str, Any]] = field(default_factory=list)

    # -- rates -----------------------------------------------------------------------------

    def request_rate(self) -> float:
        """Requests ended per second over the steady window: the answers that ended in it
        (closed loop: until the first client ran out of work), else all over the window."""
        start = self.start
        if start is None:
            return 0.0
        if self.steady_end is not None and self.steady_end > start:
            ends = self.ends
            done = int(np.count_nonzero((ends > start) & (ends <= self.steady_end)))
            if done:
                return done / (self.steady_end - start)
        return self.requests / max(self.end - start, 1e-9)

    # -- the one summary path --------------------------------------------------------------

    def summary(self, load: float | None = None) -> LevelResult:
        """This record as the level's :class:`LevelResult` (at ``load``, by default the
        record's own)."""
        n = self.requests
        rate = self.request_rate()
        low, high = wilson_interval(self.ok, n)
        per_request = (lambda x: x / n * rate) if n else (lambda x: 0.0)
        elapsed = max(0.0, self.end - self.start) if self.start is not None else 0.0
        return LevelResult(
            load=self.load if load is None else load,
            mode="open" if self.open_loop else "closed",
            requests=n,
            successes=self.ok,
            ok=self.ok,
            degraded=self.degraded,
            success_rate=self.ok / n if n else 0.0,
            degraded_rate=self.degraded / n if n else 0.0,
            success_ci95=(round(low, 4), round(high, 4)),
            upstream_attempts=self.attempts,
            upstream_success_rate=self.upstream_ok / self.attempts if self.attempts else 0.0,
            retries=max(0, self.attempts - n),
            amplification=self.attempts / n if n else 0.0,
            errors_by_class=_by_count(self.failures),
            upstream_errors_by_class=_by_count(self.upstream_errors),
            errors_by_status=dict(sorted((k, v) for k, v in self.statuses.items() if k != "200")),
            causes=_by_count(self.causes),
            breaker_refusals=self.refusals,
            rate_429=self.statuses.get("429", 0) / self.attempts if self.attempts else 0.0,
            latency_ms=_ms(self.latency),
            service_latency_ms=_ms(self.service) if self.open_loop else None,
            queue_wait_ms=_ms(self.queue_wait),
            ttft_ms=_ms(self.ttft) if self.stream else None,
            itl_ms=_ms(self.itl) if self.stream else None,
            tpot_ms=_ms(self.tpot) if self.stream else None,
            throughput_rps=per_request(self.ok),
            request_rate_rps=rate,
            output_tokens_per_s=per_request(self.output_tokens),
            in_flight_mean=per_request(self.latency_sum),
            elapsed_s=elapsed,
            warmup=self.warmup,
            stopped_early=self.stopped_early,
            breaker=list(self.breaker),
            self_check=_self_check(self.self_checks),
            advertised_limits=dict(self.advertised),
        )

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (samples as base64 float64); :meth:`from_json` reads it back."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SAMPLE_FIELDS:
                value = None if value is None else _encode(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Any, where: str = "record") -> LevelRecord:
        """A record from :meth:`to_json`'s form; :class:`~llmops.errors.InputError` naming
        ``where`` and the key when it is not one."""
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a level record (an object)")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{where}: unknown key {unknown[0]!r} in a level record")
        if "load" not in data:
            raise InputError(f"{where}: a level record needs 'load'")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in SAMPLE_FIELDS:
                if value is not None and not isinstance(value, str):
                    raise InputError(f"{where}.{name}: expected base64 of float64 samples")
                values[name] = None if value is None else _decode(value, f"{where}.{name}")
            else:
                values[name] = value
        try:
            record = cls(**values)
        except TypeError as exc:  # pragma: no cover - every key is known above
            raise InputError(f"{where}: {exc}") from None
        _check_types(record, where)
        return record


def _check_types(record: LevelRecord, where: str) -> None:
    for name in _COUNTERS:
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{where}.{name}: got {value!r}, expected a count (0 or more)")
    for name in ("load", "latency_sum", "end"):
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}.{name}: got {value!r}, expected a number")
    for name in (*_TALLIES, "advertised"):
        value = getattr(record, name)
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in value.items()
        ):
            raise InputError(f"{where}.{name}: expected an object of counts")


def _by_count(tally: dict[str, int]) -> dict[str, int]:
    return dict(sorted(tally.items(), key=lambda kv: -kv[1]))


def _self_check(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """One process's self-check as it is; several: the worst one's figures, ``client_bound``
    when any was, each reason with its part, and every part's check (with the measured
    ``requests`` it sent) under ``workers``."""
    if not checks:
        return {}
    if len(checks) == 1:
        return {k: v for k, v in checks[0].items() if k not in ("part", "requests")}
    worst = max(checks, key=lambda c: c.get("loop_lag_p99_ms") or 0.0)
    out = {
        k: v for k, v in worst.items() if k not in ("part", "requests", "reasons", "client_bound")
    }
    out["client_bound"] = any(c.get("client_bound") for c in checks)
    out["reasons"] = [f"{c.get('part', '?')}: {r}" for c in checks for r in c.get("reasons", [])]
    out["workers"] = list(checks)
    return out


def _pool(arrays: Sequence[FloatArray | None]) -> FloatArray | None:
    present = [a for a in arrays if a is not None]
    if not present:
        return None
    return np.concatenate(present) if len(present) > 1 else present[0].copy()


def merge_records(records: Sequence[LevelRecord], load: float | None = None) -> LevelRecord:
    """One record of a level from the records of its parts (workers or shards).

    Counters and tallies are summed, samples pooled (merged percentiles are exact), the
    advertised limits are the highest seen. The window is the common steady window: from the
    latest part's start to the earliest part's steady end, so rates count only the time every
    part was loading the target. ``load`` is the whole level's (by default the sum of the
    parts'). Parts that never started (no clients) add nothing but their self-check.
    """
    if not records:
        raise ValueError("merge_records needs at least one record")
    first = records[0]
    merged = LevelRecord(
        load=sum(r.load for r in records) if load is None else load,
        open_loop=first.open_loop,
        stream=first.stream,
    )
    for name in _COUNTERS:
        setattr(merged, name, sum(getattr(r, name) for r in records))
    merged.latency_sum = math.fsum(r.latency_sum for r in records)
    for name in _TALLIES:
        total: dict[str, int] = {}
        for r in records:
            for key, count in getattr(r, name).items():
                total[key] = total.get(key, 0) + count
        setattr(merged, name, total)
    for r in records:
        for key, value in r.advertised.items():
            merged.advertised[key] = max(merged.advertised.get(key, 0), value)
    for name in SAMPLE_FIELDS:
        pooled = _pool([getattr(r, name) for r in records])
        if name in ("ttft", "itl", "tpot"):
            setattr(merged, name, pooled)
        else:
            setattr(merged, name, _empty() if pooled is None else pooled)
    merged.stopped_early = any(r.stopped_early for r in records)
    merged.breaker = [t for r in records for t in r.breaker]
    merged.self_checks = [c for r in records for c in r.self_checks]
    started = [r for r in records if r.start is not None]
    if started:
        merged.start = max(r.start for r in started if r.start is not None)
        merged.end = max(r.end for r in started)
        steady = [r.steady_end if r.steady_end is not None else r.end for r in started]
        merged.steady_end = min(steady)
        if merged.steady_end <= merged.start:
            # the parts' windows do not overlap (they ran one after another): no common
            # window, so the rates are over the whole span
            merged.start = min(r.start for r in started if r.start is not None)
            merged.steady_end = None
            merged.self_checks.append({"part": "merge", "reasons": [NO_COMMON_WINDOW]})
    return merged
