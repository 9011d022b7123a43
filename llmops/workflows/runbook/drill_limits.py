"""Question 2's drill: a burst of several times the rate limit at a mock enforcing exactly it.

The engine must keep every 429 from its caller, use at least 90% of the limit (goodput), and in
no window of ``w`` seconds admit more than its burst plus ``rate x w``. Limits above
:data:`DRILL_RPM` requests a minute are scaled down to it, limiter and mock alike (the pacing
being checked does not depend on the scale; a burst of three minutes' worth of a big limit
would only cost time). Tokens-per-minute alone is drilled for 429s only.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import anyio

from llmops.config import LlmopsConfig
from llmops.core.ratelimit import bucket_shape
from llmops.core.textprofile import estimate_tokens
from llmops.engine.clock import AnyioClock
from llmops.errors import CapacityExceeded, QuotaExhausted, RateLimited
from llmops.mock.profile import RateLimits
from llmops.mock.transport import MockTransport
from llmops.workflows.runbook.drills import (
    MESSAGES,
    DrillResult,
    RecordingTransport,
    call_once,
    healthy_profile,
    make_engine,
    run_virtual,
    status_count,
)

#: the largest requests-per-minute limit drilled as is
DRILL_RPM = 60
#: calls in the burst, as a multiple of the (drilled) limit
BURST_FACTOR = 3
#: the share of the limit the limiter must use
GOODPUT_FLOOR = 0.9
WINDOWS_S = (1.0, 5.0, 15.0, 60.0)


def rate_limit_drill(
    cfg: LlmopsConfig, feature: str, *, advertise_only: bool = False
) -> DrillResult:
    """Run the drill; ``advertise_only``: no limit declared, the mock's headers must pace."""
    with tempfile.TemporaryDirectory(prefix="llmops-drill-") as tmp:
        return run_virtual(lambda: _burst(cfg, feature, Path(tmp), advertise_only))


def max_in_window(times: list[float], width: float) -> int:
    """The most of ``times`` (sorted) inside any half-open window ``[t, t + width)``."""
    best = lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _drill_limits(cfg: LlmopsConfig, advertise_only: bool) -> tuple[int | None, int | None]:
    rpm, tpm = cfg.limits.requests_per_minute, cfg.limits.tokens_per_minute
    if advertise_only:
        return DRILL_RPM, None
    scale = min(1.0, DRILL_RPM / rpm) if rpm else 1.0
    drill_rpm = max(1, math.floor(rpm * scale)) if rpm else None
    drill_tpm = max(1, math.floor(tpm * scale)) if tpm else None
    return drill_rpm, drill_tpm


async def _burst(
    cfg: LlmopsConfig, feature: str, workdir: Path, advertise_only: bool
) -> DrillResult:
    feat = cfg.features[feature]
    rpm, tpm = _drill_limits(cfg, advertise_only)
    profile = healthy_profile(
        feat, rate_limits=RateLimits(requests_per_minute=rpm, tokens_per_minute=tpm)
    )
    mock = MockTransport(profile, clock=AnyioClock())
    recorder = RecordingTransport(mock)
    overrides: dict[str, Any] = {}
    if not advertise_only:
        overrides = {"requests_per_minute": rpm, "tokens_per_minute": tpm}
    engine = make_engine(cfg, feature, workdir, recorder, **overrides)
    per_call = sum(estimate_tokens(m["content"]) for m in MESSAGES) + feat.max_tokens
    if rpm:
        calls = BURST_FACTOR * rpm
    else:
        calls = min(BURST_FACTOR * 100, BURST_FACTOR * math.ceil((tpm or 0) / per_call))
    results: list[Any] = []
    problems: list[str] = []
    limit_s = cfg.limits.timeout_s * 2 + 1

    # fewer callers than the engine admits (in flight + half its queue): the burst meets the
    # limiter, not the engine's load shedding
    callers = anyio.CapacityLimiter(cfg.limits.max_concurrency + cfg.limits.queue_limit // 2)

    async def one() -> None:
        async with callers:
            got, problem = await call_once(engine, feature, limit_s)
        results.append(got)
        # what the fallback does is question 1's business; here only hangs and 429s count
        if problem is not None and problem.startswith("hung"):
            problems.append(problem)

    async with engine, anyio.create_task_group() as tg:
        for _ in range(calls):
            tg.start_soon(one)
    out = DrillResult()
    if problems:
        out.problems.append(f"{len(problems)} burst calls {problems[0]}")
    leaked = sum(1 for r in results if _is_429(r))
    shed = sum(1 for r in results if isinstance(r, CapacityExceeded))
    if leaked:
        out.problems.append(f"{leaked} of {calls} calls ended in the provider's 429")
    times = sorted(t for t, _ in recorder.sends)
    ok_sends = sum(1 for _, s in recorder.sends if s == 200)
    numbers = [f"burst of {calls} calls at a mock enforcing "]
    numbers.append(f"{rpm} rpm" if rpm else f"{tpm} tpm")
    if rpm and times:
        # what the limiter may let through: its bucket (limits.burst seconds' worth) + the refill
        burst, rate = bucket_shape(rpm, cfg.limits.burst)
        span = times[-1] - times[0]
        goodput = ok_sends / (burst + rate * span)
        # trusting the headers, the first calls go before any header is seen: not checked
        windows = () if advertise_only else WINDOWS_S
        over = [(w, n) for w in windows if (n := max_in_window(times, w)) > burst + rate * w + 1]
        for w, n in over:
            out.problems.append(
                f"{n} requests sent within {w:g}s, more than the burst {burst:g} + {rate:g}/s x "
                f"{w:g}s"
            )
        if goodput < GOODPUT_FLOOR:
            out.problems.append(
                f"the limiter used {goodput:.0%} of the limit (goodput), below {GOODPUT_FLOOR:.0%}"
            )
        numbers.append(f": goodput {goodput:.0%} over {span:.0f}s")
        out.details["goodput"] = round(goodput, 4)
    numbers.append(f", {leaked} x 429 reached the caller, {shed} shed by the queue limit")
    numbers.append(f", mock answered {status_count(mock, 429)} x 429")
    if rpm and tpm is None and cfg.limits.requests_per_minute != rpm and not advertise_only:
        numbers.append(f" (limit scaled from {cfg.limits.requests_per_minute:g} rpm)")
    # the fault is the limit itself: it fired when the burst asked for more than it allows
    admitted = calls - shed
    asked = admitted if rpm else admitted * per_call
    out.fired = asked > (rpm or tpm or 0) or status_count(mock, 429) > 0
    out.numbers = "".join(numbers)
    out.details.update({"calls": calls, "leaked_429": leaked, "shed": shed, "sent": len(times)})
    return out


def _is_429(got: Any) -> bool:
    if isinstance(got, (RateLimited, QuotaExhausted)):
        return True
    err = getattr(got, "error", None) or getattr(got, "cause", None)
    return isinstance(err, (RateLimited, QuotaExhausted))
