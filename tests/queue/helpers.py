"""Helpers for the Redis-backed tests of conversations, answers and the reprocess queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def unique_prefix() -> str:
    """A key prefix of this test's own."""
    return f"llmops-test-{uuid.uuid4().hex[:10]}"


@contextmanager
def redis_prefix(url: str) -> Iterator[str]:
    """A unique key prefix whose keys are deleted afterwards."""
    import redis

    prefix = unique_prefix()
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


async def until_a_lease_ends(queue: Any, idle_ms: int) -> None:
    """Wait (at most 5 s) until an item of a Redis queue has been idle ``idle_ms``.

    The Redis server's clock ends leases; there is no event to wait on, so this polls it.
    """
    import anyio

    redis: Any = queue._redis
    stream: str = queue.stream
    with anyio.fail_after(5):
        while not await redis.xpending_range(stream, "drain", "-", "+", 1, idle=idle_ms):  # noqa: ASYNC110
            await anyio.sleep(0.01)
