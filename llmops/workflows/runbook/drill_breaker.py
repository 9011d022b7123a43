"""Question 6's drill: the breaker opens, short-circuits, probes, closes; manual control works.

Failures are driven at the configured failure rate, deterministically: request ``i`` (counted
by the mock, retries included) fails when ``ceil((i + 1) x rate) > ceil(i x rate)``, so every
prefix of the requests fails at least at that rate. Then: a call while open must not reach the
mock and must end in the fallback; after ``open_s`` (virtual) the breaker is half-open and its
probes, answered by a recovered mock, close it; finally ``open_circuit`` / ``close_circuit``
take effect at once.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from llmops.config import LlmopsConfig
from llmops.core.breaker import BreakerState
from llmops.engine.clock import AnyioClock
from llmops.engine.engine import Engine
from llmops.mock.profile import MockProfile, Outage
from llmops.mock.transport import MockTransport
from llmops.workflows.runbook.drills import (
    DrillResult,
    call_once,
    expected_degraded,
    healthy_profile,
    make_engine,
    run_virtual,
    status_count,
)

#: most calls made while waiting for the breaker to open
MAX_CALLS = 400


def breaker_drill(cfg: LlmopsConfig, feature: str) -> DrillResult:
    """Run the drill on a fresh engine of the feature's configuration."""
    with tempfile.TemporaryDirectory(prefix="llmops-drill-") as tmp:
        return run_virtual(lambda: _drill(cfg, feature, Path(tmp)))


def failing_profile(base: MockProfile, rate: float, requests: int) -> MockProfile:
    """``base`` whose requests fail with 503 at ``rate`` (every prefix at least at it)."""
    outages = [
        Outage(start_request=i, end_request=i + 1, status=503)
        for i in range(requests)
        if math.ceil((i + 1) * rate - 1e-9) > math.ceil(i * rate - 1e-9)
    ]
    return base.model_copy(update={"faults": base.faults.model_copy(update={"outages": outages})})


def _state(engine: Engine, provider: str) -> BreakerState:
    breaker = engine.upstream(provider).breaker
    assert breaker is not None
    return breaker.known_state()


async def _drill(cfg: LlmopsConfig, feature: str, workdir: Path) -> DrillResult:
    out = DrillResult()
    b = cfg.breaker
    feat = cfg.features[feature]
    provider_found = cfg.provider_for(feat)
    if provider_found is None:
        out.problems.append("the feature names no provider")
        return out
    provider = provider_found[0]
    healthy = healthy_profile(feat)
    mock = MockTransport(failing_profile(healthy, b.failure_rate_threshold, MAX_CALLS * 8),
                         clock=AnyioClock())  # fmt: skip
    engine = make_engine(cfg, feature, workdir, mock)
    limit_s = cfg.limits.timeout_s * 2 + 1
    async with engine:
        clock = engine.clock
        calls = 0
        while calls < MAX_CALLS and _state(engine, provider) is BreakerState.CLOSED:
            await call_once(engine, feature, limit_s)
            calls += 1
        out.fired = status_count(mock, 503) > 0
        failures = status_count(mock, 503)
        sent = mock.app.stats.requests
        if _state(engine, provider) is BreakerState.CLOSED:
            out.problems.append(
                f"the breaker never opened: {calls} calls, {failures} of {sent} requests failed "
                f"(rate {failures / max(1, sent):.2f} >= threshold {b.failure_rate_threshold:g})"
            )
            out.numbers = f"{calls} calls, {failures}/{sent} requests failed, breaker stayed closed"
            return out
        opened_after = sent
        # open: a call must not reach the provider and must end in the fallback
        got, problem = await call_once(engine, feature, limit_s)
        if mock.app.stats.requests != sent:
            out.problems.append("a call while the breaker was open still reached the provider")
        elif problem or (problem := expected_degraded(feat, got)):
            out.problems.append(f"a call while the breaker was open {problem}")
        # recovery: after open_s the breaker half-opens; probes to a healthy mock close it
        mock.app.set_profile(healthy, clock.now())
        await clock.sleep(b.open_s)
        half_open = _state(engine, provider) is BreakerState.HALF_OPEN
        if not half_open:
            out.problems.append(
                f"the breaker was not half-open {b.open_s:g}s (open_s) after opening"
            )
        probes = 0
        while (
            probes < b.half_open_probes + 2 and _state(engine, provider) is not BreakerState.CLOSED
        ):
            await call_once(engine, feature, limit_s)
            probes += 1
        if half_open and _state(engine, provider) is not BreakerState.CLOSED:
            out.problems.append(
                f"the breaker never closed: {probes} successful probes after recovery "
                f"(half_open_probes {b.half_open_probes})"
            )
        # manual control
        engine.open_circuit(provider)
        before = mock.app.stats.requests
        await call_once(engine, feature, limit_s)
        if _state(engine, provider) is not BreakerState.OPEN or mock.app.stats.requests != before:
            out.problems.append("open_circuit() did not stop calls at once")
        engine.close_circuit(provider)
        await call_once(engine, feature, limit_s)
        if _state(engine, provider) is not BreakerState.CLOSED or mock.app.stats.requests == before:
            out.problems.append("close_circuit() did not let calls through at once")
    out.numbers = (
        f"opened after {opened_after} requests ({failures} failed, threshold "
        f"{b.failure_rate_threshold:g}, minimum_calls {b.minimum_calls}); half-open after "
        f"{b.open_s:g}s; closed after {probes} probe(s); manual open/close took effect"
    )
    out.details = {"opened_after_requests": opened_after, "probes": probes}
    return out
