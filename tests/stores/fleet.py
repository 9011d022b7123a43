"""What one instance of a fleet does in the multi-process tests (run in spawned processes).

Each function opens the shared state on Redis as a service instance would (its own client) and
returns plain data the test can check. Also: the worst window of a run of admissions.
"""

from __future__ import annotations

import asyncio
import time

from llmops.config import BreakerConfig, LimitsConfig, StateConfig
from llmops.stores.redis_limiter import RedisLimiter
from llmops.stores.redis_state import SharedRuntimeState, open_runtime_state


async def _state(url: str, prefix: str) -> SharedRuntimeState:
    opened = await open_runtime_state(
        StateConfig(backend="redis", url=url, key_prefix=prefix), time.monotonic
    )
    assert isinstance(opened, SharedRuntimeState)
    return opened


def admit_for(
    url: str, prefix: str, limits: LimitsConfig, start_at: float, seconds: float
) -> list[float]:
    """Ask for admissions from ``start_at`` (wall clock) for ``seconds``, waiting as told;
    return the server time of each admission."""

    async def run() -> list[float]:
        state = await _state(url, prefix)
        limiter = state.limiter("up", limits)
        assert isinstance(limiter, RedisLimiter)
        admitted: list[float] = []
        await asyncio.sleep(max(0.0, start_at - time.time()))  # all instances start together
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            wait = await limiter.acquire(1)
            if wait <= 0:
                admitted.append(limiter.last_admitted_at)
            else:
                await asyncio.sleep(wait)
        await state.aclose()
        return admitted

    return asyncio.run(run())


def breaker_allows(url: str, prefix: str, cfg: BreakerConfig, times: int) -> list[bool]:
    """Ask the shared breaker ``times`` times (holding what it allows); whether each was allowed."""

    async def run() -> list[bool]:
        state = await _state(url, prefix)
        breaker = state.breaker("up", cfg, probe_lease_s=60)
        allowed = [(await breaker.allow()).allowed for _ in range(times)]
        await state.aclose()
        return allowed

    return asyncio.run(run())


def breaker_fails(url: str, prefix: str, cfg: BreakerConfig, times: int) -> None:
    """Make ``times`` calls through the shared breaker that all fail."""

    async def run() -> None:
        state = await _state(url, prefix)
        breaker = state.breaker("up", cfg, probe_lease_s=60)
        for _ in range(times):
            permit = await breaker.allow()
            if permit.allowed:
                await breaker.record(permit, False, 0.01)
        await state.aclose()

    asyncio.run(run())


def worst_window_excess(times: list[float], capacity: float, rate_per_s: float) -> float:
    """The most any window [t_i, t_j] held above ``capacity + rate * (t_j - t_i)`` (<= 0: never).

    For each j the worst i maximises ``rate * t_i - i``: one pass with a running maximum.
    """
    ts = sorted(times)
    worst = -float("inf")
    best_start = -float("inf")
    for j, t in enumerate(ts):
        best_start = max(best_start, rate_per_s * t - j)
        worst = max(worst, (j + 1) - rate_per_s * t - capacity + best_start)
    return worst
