"""The shards' start barrier in Redis: the parties get one start, a party alone is told why."""

from __future__ import annotations

import time
import uuid

import anyio
import pytest

from llmops.engine.clock import AnyioClock
from llmops.errors import LlmopsError
from llmops.mock import MockTransport
from llmops.stores.redis_barrier import BarrierTimeout, RedisStartBarrier
from llmops.workflows.loadtest import LoadtestOptions, Part, ShareRun, target_from_url
from llmops.workflows.loadtest.distributed import run_in_parts
from tests.loadtest.conftest import profile

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the redis client runs on asyncio


async def _meet(url: str, prefix: str, name: str, parties: int) -> list[float]:
    starts: list[float] = []

    async def party() -> None:
        barrier = RedisStartBarrier(url, prefix, parties, margin_s=0.2, timeout_s=10)
        try:
            starts.append(await barrier.wait(name))
        finally:
            await barrier.aclose()

    async with anyio.create_task_group() as group:
        for _ in range(parties):
            group.start_soon(party)
    return starts


async def test_all_parties_get_one_start_after_the_last_arrives(redis_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex}"
    before = time.time()
    starts = await _meet(redis_url, prefix, "run:0", 3)
    assert max(starts) - min(starts) < 0.01
    assert min(starts) > before
    # the next run under the same name waits for its own parties and starts later
    again = await _meet(redis_url, prefix, "run:0", 3)
    assert min(again) > max(starts)


async def test_a_party_alone_gives_up_saying_how_many_are_missing(redis_url: str) -> None:
    barrier = RedisStartBarrier(redis_url, f"t{uuid.uuid4().hex}", 2, timeout_s=0.3)
    try:
        with pytest.raises(LlmopsError, match="1 of 2 shards arrived \\(are they"):
            await barrier.wait("run:0")
    finally:
        await barrier.aclose()


async def test_a_party_that_gave_up_names_the_missing_and_no_longer_counts(
    redis_url: str,
) -> None:
    prefix = f"t{uuid.uuid4().hex}"
    for party in (0, 2):  # parties 1/3 then 3/3 each alone: neither is started by the other
        barrier = RedisStartBarrier(redis_url, prefix, 3, party=party, timeout_s=0.3)
        try:
            with pytest.raises(BarrierTimeout) as caught:
                await barrier.wait("run:0")
        finally:
            await barrier.aclose()
        missing = [i for i in range(3) if i != party]
        assert (caught.value.arrived, caught.value.missing) == (1, missing)
        named = ", ".join(f"{i + 1}/3" for i in missing)
        assert f"1 of 3 shards arrived; missing {named} (" in str(caught.value)
    # the three together still meet under that name: the leavers left no arrival behind
    starts = await _meet(redis_url, prefix, "run:0", 3)
    assert max(starts) - min(starts) < 0.01


async def test_a_shard_whose_peer_never_comes_keeps_the_levels_before_it(
    redis_url: str,
) -> None:
    # shard 2/2 meets shard 1/2 at the first level's barrier, then is gone
    prefix = f"t{uuid.uuid4().hex}"
    target = target_from_url("http://mock.test/v1", "openai", "mock-1", local=True)
    mock = MockTransport(profile(), clock=AnyioClock())
    options = LoadtestOptions(levels=(2, 4, 8), requests=8, warmup=0)
    one = RedisStartBarrier(redis_url, prefix, 2, party=0, margin_s=0.1, timeout_s=0.5)
    other = RedisStartBarrier(redis_url, prefix, 2, party=1, margin_s=0.1, timeout_s=10)

    async def wait(index: int) -> float:
        return await one.wait(f"run:{index}")

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(other.wait, "run:0")
            share = await run_in_parts(
                options, target, shard=Part(0, 2), transport=mock, clock=AnyioClock(),
                barrier=wait,
            )  # fmt: skip
    finally:
        await one.aclose()
        await other.aclose()
    assert [r.load for r in share.records] == [1]  # its share of the first level only
    assert share.result.skipped_loads == [4, 8]
    assert share.gave_up is not None
    assert share.gave_up.startswith("stopped before 4: waited 0.5s at the shards' start barrier")
    assert "1 of 2 shards arrived; missing 2/2" in share.gave_up
    assert share.result.stop_reason == share.gave_up


async def test_two_shards_start_each_level_together(redis_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex}"
    target = target_from_url("http://mock.test/v1", "openai", "mock-1", local=True)
    mock = MockTransport(profile(), clock=AnyioClock())
    options = LoadtestOptions(levels=(2, 4), requests=8, warmup=0)
    runs: list[ShareRun] = []

    async def shard(i: int) -> None:
        barrier = RedisStartBarrier(redis_url, prefix, 2, margin_s=0.2, timeout_s=10)

        async def wait(index: int) -> float:
            return await barrier.wait(f"run:{index}")

        try:
            runs.append(
                await run_in_parts(
                    options, target, shard=Part(i, 2), transport=mock, clock=AnyioClock(),
                    barrier=wait,
                )
            )  # fmt: skip
        finally:
            await barrier.aclose()

    async with anyio.create_task_group() as group:
        group.start_soon(shard, 0)
        group.start_soon(shard, 1)
    for level in range(2):
        starts = [r.records[level].start for r in runs]
        assert None not in starts
        assert max(starts) - min(starts) < 0.1  # type: ignore[type-var,operator]
