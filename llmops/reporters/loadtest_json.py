"""The load test as JSON: a documented, versioned schema (``schema_version`` 1).

Top level::

    schema            "llmops.loadtest"
    schema_version    1 (bumped on any incompatible change; fields may be added within a version)
    started_at, wall_s, target, model, mode ("closed" | "open"), raw, prompts
    target_kind       "openai" | "anthropic" (an API), "function" | "http" (the team's own
                      feature, --target-function / --target-http: model is null unless --model)
    options           what was asked (levels or rates, requests, duration_s, warmup, stream, ...)
    levels[]          one object per level run, in order:
        concurrency (closed loop) | rate_rps (open loop), load
        requests, successes (= ok: answered by the model), ok, degraded (answered by the
        feature's fallback instead: not a success), success_rate, degraded_rate,
        success_ci95 [low, high]
        upstream_attempts, upstream_success_rate, retries, amplification
        errors_by_class {class: n}   user-visible failures (shed, timeout, overloaded, ...)
        upstream_errors_by_class {class: n}, errors_by_status {"429": n, "503": n, ...}
        causes {cause in words: n}  the upstream failure behind each failure or degraded
                          answer ("connection refused to 127.0.0.1:9", "HTTP 503 (overloaded)");
                          for a function or HTTP target the feature's own errors ("raised
                          KeyError: 'id'", "HTTP 503 (success is 2xx)")
        breaker_refusals  requests the engine's own circuit breaker refused
        rate_429          share of upstream attempts answered 429
        latency_ms        {p50, p90, p95, p99, max, mean} of requests the model answered (open loop:
                          from the intended start), null when nothing was answered
        service_latency_ms (open loop: from the actual send), queue_wait_ms (engine queue)
        ttft_ms, itl_ms, tpot_ms  (with --stream)
        throughput_rps (answers/s), request_rate_rps, output_tokens_per_s, in_flight_mean
        elapsed_s, warmup, stopped_early, breaker [transitions], client_bound, self_check,
        advertised_limits {requests_per_minute, tokens_per_minute} seen in rate-limit headers
    advertised_limits the highest of the levels' (what ``llmops runbook check`` compares the
                      declared limits with); {} when the responses carried no such headers
    skipped_levels, stop_reason
    knee              null | {load, signal: success|latency|throughput|efficiency, reason, numbers,
                              last_good_load, in_flight}
    throughput_ceiling_rps, ceiling_load, recommended_queue_limit, littles_law_limit
    dominant_failure, dominant_failure_share, client_bound_levels
    slo               null | {peak, passed, reason, checks: [{clause, measured, passed}]}
    verdict           the verdict in sentences
    cost              null | {model, requests, input_tokens, output_tokens, cost_usd, local}
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from llmops.workflows.loadtest import LevelResult, LoadtestResult

__all__ = ["SCHEMA", "SCHEMA_VERSION", "level_dict", "render_json", "to_dict"]

SCHEMA = "llmops.loadtest"
SCHEMA_VERSION = 1


def _r(x: float, digits: int = 4) -> float:
    return round(x, digits)


def level_dict(level: LevelResult) -> dict[str, Any]:
    """One level as the schema's ``levels[]`` object."""
    out: dict[str, Any] = {}
    if level.mode == "open":
        out["rate_rps"] = level.load
    else:
        out["concurrency"] = int(level.load)
    out["load"] = level.load
    for f in dataclasses.fields(level):
        if f.name in ("load",):
            continue
        value = getattr(level, f.name)
        if isinstance(value, float):
            value = _r(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    out["client_bound"] = level.client_bound
    return out


def to_dict(result: LoadtestResult) -> dict[str, Any]:
    """The whole result as plain JSON-ready data."""
    v = result.verdict
    o = result.options
    knee = None
    if v.knee is not None:
        knee = {
            "load": v.knee.load,
            "signal": v.knee.signal,
            "reason": v.knee.reason,
            "numbers": {k: _r(x) for k, x in v.knee.numbers.items()},
            "last_good_load": v.last_good_load,
            "in_flight": None if v.knee_in_flight is None else _r(v.knee_in_flight, 2),
        }
    slo = None
    if v.slo is not None:
        slo = {
            "peak": v.slo.peak,
            "passed": v.slo.passed,
            "reason": v.slo.reason,
            "checks": [
                {"clause": c.clause, "measured": c.measured, "passed": c.passed}
                for c in v.slo.checks
            ],
        }
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "started_at": result.started_at,
        "wall_s": _r(result.wall_s, 2),
        "target": result.target,
        "target_kind": result.target_kind,
        "model": result.model,
        "mode": result.mode,
        "raw": result.raw,
        "prompts": result.prompts,
        "options": {
            "levels": list(o.levels) if not o.open_loop else [],
            "rates": list(o.rates),
            "requests": o.requests,
            "duration_s": o.duration_s,
            "warmup": o.warmup,
            "stream": o.stream,
            "max_tokens": o.max_tokens,
            "timeout_s": o.timeout_s,
            "stop_on_success_below": o.stop_on_success_below,
            "slo": [c.text for c in o.slo],
            "peak": o.peak,
            "latency_budget_s": o.latency_budget_s,
            "success_margin": o.success_margin,
            "latency_elasticity": o.latency_elasticity,
            "throughput_elasticity": o.throughput_elasticity,
        },
        "levels": [level_dict(lv) for lv in result.levels],
        "advertised_limits": advertised_limits(result),
        "skipped_levels": result.skipped_loads,
        "stop_reason": result.stop_reason,
        "knee": knee,
        "throughput_ceiling_rps": _r(v.throughput_ceiling_rps, 2),
        "ceiling_load": v.ceiling_load,
        "recommended_queue_limit": v.recommended_queue_limit,
        "littles_law_limit": v.littles_law_limit,
        "dominant_failure": v.dominant_failure,
        "dominant_failure_share": (
            None if v.dominant_failure_share is None else _r(v.dominant_failure_share)
        ),
        "client_bound_levels": v.client_bound_loads,
        "slo": slo,
        "verdict": list(v.lines),
        "cost": None if result.cost is None else dataclasses.asdict(result.cost),
    }


def advertised_limits(result: LoadtestResult) -> dict[str, int]:
    """The highest per-minute limits the provider advertised at any level (``{}`` when its
    responses carried no rate-limit headers); ``llmops runbook check`` compares the declared
    limits with these."""
    found: dict[str, int] = {}
    for level in result.levels:
        for key, value in level.advertised_limits.items():
            found[key] = max(value, found.get(key, 0))
    return found


def render_json(result: LoadtestResult) -> str:
    """The JSON report's text (indented, UTF-8, newline-terminated)."""
    return orjson.dumps(to_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
