"""The answer cache contract (TTL and size bound), the same in memory and on the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmops.stores.answers import AnswerCache, MemoryAnswerCache
from tests.queue.helpers import redis_prefix

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def make_cache(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    made: list[AnswerCache] = []
    if request.param == "memory":

        def memory(max_entries: int, ttl_s: float) -> AnswerCache:
            made.append(MemoryAnswerCache(max_entries, ttl_s))
            return made[-1]

        yield memory
        return
    from llmops.stores.answers_redis import RedisAnswerCache

    url = request.getfixturevalue("redis_url")
    with redis_prefix(url) as prefix:

        def shared(max_entries: int, ttl_s: float) -> AnswerCache:
            made.append(
                RedisAnswerCache.from_url(
                    url, key_prefix=prefix, max_entries=max_entries, ttl_s=ttl_s
                )
            )
            return made[-1]

        yield shared
        for cache in made:
            await cache.aclose()


async def test_an_answer_put_is_served_and_another_key_is_not(make_cache: Any) -> None:
    cache = make_cache(10, 60)
    await cache.put("k1", "the answer")
    assert await cache.get("k1") == "the answer"
    assert await cache.get("k2") is None


async def test_beyond_the_size_bound_the_oldest_answers_go(make_cache: Any) -> None:
    cache = make_cache(3, 60)
    for i in range(5):
        await cache.put(f"k{i}", f"a{i}")
    assert [await cache.get(f"k{i}") for i in range(5)] == [None, None, "a2", "a3", "a4"]


async def test_an_expired_answer_is_never_served(make_cache: Any) -> None:
    cache = make_cache(10, 0)  # expired as soon as stored
    await cache.put("k1", "stale")
    fresh = make_cache(10, 60)
    await fresh.put("k2", "fresh")
    assert await cache.get("k1") is None
    assert await fresh.get("k2") == "fresh"
