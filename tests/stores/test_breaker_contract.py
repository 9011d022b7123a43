"""The breaker's contract, the same in process and on Redis."""

from __future__ import annotations

import math

import pytest

from llmops.config import BreakerConfig
from llmops.core.breaker import BreakerState
from llmops.stores.breaker_state import Breaker
from llmops.stores.redis_state import RuntimeState

pytestmark = pytest.mark.anyio

CFG = BreakerConfig(minimum_calls=4, failure_rate_threshold=0.5, open_s=30, half_open_probes=2)


def breaker(state: RuntimeState, name: str = "up") -> Breaker:
    return state.breaker(name, CFG, probe_lease_s=60)


async def fail(b: Breaker, times: int) -> None:
    for _ in range(times):
        permit = await b.allow()
        assert permit.allowed
        await b.record(permit, False, 0.01)


async def half_open(b: Breaker) -> None:
    await b.force_open(hold_s=0)  # open for no time: the next look finds it half-open


async def test_a_failure_rate_over_the_minimum_calls_opens_it(state: RuntimeState) -> None:
    b = breaker(state)
    await fail(b, 3)
    assert (await b.allow()).allowed  # three calls are below the minimum
    await fail(b, 1)
    refused = await b.allow()
    assert not refused.allowed and 29 < refused.retry_after <= 30
    assert b.known_state() is BreakerState.OPEN
    assert [(old, new) for old, new, _ in b.drain_transitions()] == [
        (BreakerState.CLOSED, BreakerState.OPEN)
    ]


async def test_successes_keep_it_closed(state: RuntimeState) -> None:
    b = breaker(state)
    for ok in [False, True, True, True, False, True]:  # never half failing
        permit = await b.allow()
        await b.record(permit, ok, 0.01)
    assert (await b.allow()).allowed


async def test_forced_open_refuses_until_forced_closed(state: RuntimeState) -> None:
    b = breaker(state)
    await b.force_open()
    refused = await b.allow()
    assert not refused.allowed and refused.retry_after == math.inf
    await b.force_close()
    assert (await b.allow()).allowed


async def test_half_open_lets_the_probes_through_and_no_more(state: RuntimeState) -> None:
    b = breaker(state)
    await half_open(b)
    permits = [await b.allow() for _ in range(4)]
    assert [p.allowed for p in permits] == [True, True, False, False]
    assert all(p.probe for p in permits[:2])


async def test_successful_probes_close_it(state: RuntimeState) -> None:
    b = breaker(state)
    await half_open(b)
    probes = [await b.allow() for _ in range(2)]
    for p in probes:
        await b.record(p, True, 0.01)
    permit = await b.allow()
    assert permit.allowed and not permit.probe
    assert b.known_state() is BreakerState.CLOSED


async def test_a_failed_probe_opens_it_again(state: RuntimeState) -> None:
    b = breaker(state)
    await half_open(b)
    probe = await b.allow()
    await b.record(probe, False, 0.01)
    refused = await b.allow()
    assert not refused.allowed and refused.retry_after > 29


async def test_a_released_probe_frees_its_slot(state: RuntimeState) -> None:
    b = breaker(state)
    await half_open(b)
    first, second = await b.allow(), await b.allow()
    assert not (await b.allow()).allowed
    await b.release(first)
    assert (await b.allow()).allowed
    assert second.allowed


async def test_an_outcome_from_before_it_opened_is_not_a_probe(state: RuntimeState) -> None:
    b = breaker(state)
    old = await b.allow()  # allowed while closed
    await half_open(b)
    await b.record(old, False, 0.01)  # ends while half-open: says nothing about the probes
    assert [(await b.allow()).allowed for _ in range(3)] == [True, True, False]


async def test_a_slow_call_counts_as_a_failure(state: RuntimeState) -> None:
    cfg = BreakerConfig(minimum_calls=2, failure_rate_threshold=0.5, slow_call_s=1.0)
    b = state.breaker("up", cfg, probe_lease_s=60)
    for _ in range(2):
        await b.record(await b.allow(), True, 5.0)
    assert not (await b.allow()).allowed
