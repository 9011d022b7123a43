"""Several OS processes sharing one limit and one breaker on the real Redis."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from llmops.config import BreakerConfig, LimitsConfig
from llmops.core.ratelimit import bucket_shape
from tests.stores import fleet
from tests.stores.conftest import delete_keys, shared_state

pytestmark = [pytest.mark.anyio, pytest.mark.services]

PROCESSES = 3


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as p:
        yield p


@pytest.fixture
def prefix(redis_url: str, key_prefix: str) -> Iterator[str]:
    import anyio

    yield key_prefix
    anyio.run(delete_keys, redis_url, key_prefix)


def test_processes_sharing_a_limit_never_admit_more_than_the_bucket_allows(
    pool: ProcessPoolExecutor, redis_url: str, prefix: str
) -> None:
    limits = LimitsConfig(requests_per_minute=1200, burst=1)  # 20 at once, 20/s
    start_at = time.time() + 1.0  # after every process has started
    runs = [
        pool.submit(fleet.admit_for, redis_url, prefix, limits, start_at, 1.5)
        for _ in range(PROCESSES)
    ]
    per_process = [r.result(timeout=30) for r in runs]
    admitted = [t for run in per_process for t in run]
    capacity, rate = bucket_shape(1200, 1)
    assert len(admitted) > capacity  # the refill was used, not just the first burst
    assert fleet.worst_window_excess(admitted, capacity, rate) <= 1e-6


def test_the_worst_window_is_measured() -> None:
    # 3 at once with capacity 2 exceeds by 1; spaced at the rate they do not
    assert fleet.worst_window_excess([0.0, 0.0, 0.0], 2, 1.0) == pytest.approx(1.0)
    assert fleet.worst_window_excess([0.0, 0.0, 1.0, 2.0], 2, 1.0) <= 0


BREAKER = BreakerConfig(minimum_calls=4, failure_rate_threshold=0.5, open_s=30, half_open_probes=2)


def test_one_process_opening_the_breaker_opens_it_for_all(
    pool: ProcessPoolExecutor, redis_url: str, prefix: str
) -> None:
    pool.submit(fleet.breaker_fails, redis_url, prefix, BREAKER, 4).result(timeout=30)
    seen = [
        pool.submit(fleet.breaker_allows, redis_url, prefix, BREAKER, 1) for _ in range(PROCESSES)
    ]
    assert [r.result(timeout=30) for r in seen] == [[False]] * PROCESSES


async def test_half_open_probes_are_limited_fleet_wide(
    pool: ProcessPoolExecutor, redis_url: str, prefix: str
) -> None:
    state = await shared_state(redis_url, prefix)
    await state.breaker("up", BREAKER, probe_lease_s=60).force_open(hold_s=0)
    await state.aclose()
    runs = [
        pool.submit(fleet.breaker_allows, redis_url, prefix, BREAKER, 3) for _ in range(PROCESSES)
    ]
    allowed = sum(sum(r.result(timeout=30)) for r in runs)
    assert allowed == BREAKER.half_open_probes  # not that many per process


async def test_a_retry_after_pause_seen_by_one_instance_holds_every_instance(
    redis_url: str, prefix: str
) -> None:
    one, other = await shared_state(redis_url, prefix), await shared_state(redis_url, prefix)
    limits = LimitsConfig(requests_per_minute=6000)
    await one.limiter("up", limits).pause(20)
    assert 19 < await other.limiter("up", limits).acquire(1) <= 20
    await one.aclose()
    await other.aclose()
