"""The limiter's contract, the same in process and on Redis (RPM and TPM together, headroom)."""

from __future__ import annotations

import pytest

from llmops.config import LimitsConfig
from llmops.stores.redis_state import RuntimeState
from llmops.types import RateLimitInfo

pytestmark = pytest.mark.anyio


def limits(**kw: float) -> LimitsConfig:
    return LimitsConfig(**{"headroom": 0, **kw})


async def test_admits_the_burst_at_once_then_asks_to_wait(state: RuntimeState) -> None:
    limiter = state.limiter("up", limits(requests_per_minute=60, burst=5))  # 5 at once, 1/s
    assert [await limiter.acquire(1) for _ in range(5)] == [0.0] * 5
    wait = await limiter.acquire(1)
    assert 0.9 < wait <= 1.0


async def test_requests_and_tokens_are_admitted_together_or_not_at_all(
    state: RuntimeState,
) -> None:
    # 2 requests and 20 tokens at once
    limiter = state.limiter("up", limits(requests_per_minute=60, tokens_per_minute=600, burst=2))
    assert await limiter.acquire(15) == 0.0
    assert await limiter.acquire(15) > 0  # the tokens refuse it ...
    assert await limiter.acquire(5) == 0.0  # ... and it took no request: this one fits
    assert await limiter.acquire(0) > 0  # now the requests are spent


async def test_a_reservation_reconciled_with_usage_gives_back_the_surplus(
    state: RuntimeState,
) -> None:
    limiter = state.limiter("up", limits(tokens_per_minute=600, burst=2))  # 20 tokens
    assert await limiter.acquire(20) == 0.0
    assert await limiter.acquire(10) > 0
    await limiter.reconcile(20, 5)
    assert await limiter.acquire(10) == 0.0


async def test_usage_above_the_reservation_is_charged(state: RuntimeState) -> None:
    limiter = state.limiter("up", limits(tokens_per_minute=600, burst=2))
    assert await limiter.acquire(5) == 0.0
    await limiter.reconcile(5, 20)
    assert await limiter.acquire(1) > 0


async def test_a_retry_after_pause_stops_admission(state: RuntimeState) -> None:
    limiter = state.limiter("up", limits(requests_per_minute=6000))
    await limiter.pause(30)
    wait = await limiter.acquire(1)
    assert 29 < wait <= 30


async def test_headroom_stops_new_requests_within_it_of_the_reported_limit(
    state: RuntimeState,
) -> None:
    # 6000 TPM with 10% headroom: 600 tokens are never spent, whatever the provider says remains
    limiter = state.limiter("up", limits(tokens_per_minute=6000, headroom=0.1, burst=60))
    await limiter.observe(RateLimitInfo(tokens_remaining=650))
    assert await limiter.acquire(100) > 0
    assert await limiter.acquire(50) == 0.0


async def test_headroom_lowers_the_refill(state: RuntimeState) -> None:
    limiter = state.limiter("up", limits(tokens_per_minute=6000, headroom=0.5, burst=1))
    assert await limiter.acquire(50) == 0.0  # the bucket holds 1 s of 50 tokens/s
    wait = await limiter.acquire(50)
    assert 0.9 < wait <= 1.0  # 50 tokens at 3000/min take a second


async def test_a_limit_the_provider_advertises_is_adopted(state: RuntimeState) -> None:
    limiter = state.limiter("up", limits())
    assert await limiter.acquire(1) == 0.0
    await limiter.observe(RateLimitInfo(requests_limit=60, requests_remaining=0))
    assert await limiter.acquire(1) > 0


async def test_upstreams_have_limits_of_their_own(state: RuntimeState) -> None:
    a = state.limiter("a", limits(requests_per_minute=60, burst=1))
    b = state.limiter("b", limits(requests_per_minute=60, burst=1))
    assert await a.acquire(1) == 0.0
    assert await a.acquire(1) > 0
    assert await b.acquire(1) == 0.0
