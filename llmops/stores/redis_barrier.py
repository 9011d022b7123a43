"""A start barrier in the shared Redis: N processes agree when to start, without a coordinator.

Each of ``count`` parties calls :meth:`RedisStartBarrier.wait` for the same ``name``; the last
to arrive sets the start, ``margin_s`` after now on the Redis server's clock, and every party
returns that moment on its own wall clock (the offset to the server's clock is measured, so
the machines' clocks need not agree). Arrivals are counted in generations of ``count``, so a
later run under the same name waits for its own parties; keys expire after ``ttl_s``. The
load test's shards use it for each level when ``state: redis`` is configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from llmops.errors import LlmopsError
from llmops.stores.redis_conn import redis_client, state_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisStartBarrier"]

_ARRIVE = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local count = tonumber(ARGV[1])
local gen = math.floor((n - 1) / count)
if n % count == 0 then
  local t = redis.call('TIME')
  local start = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[2])
  redis.call('HSET', KEYS[2], gen, string.format('%.6f', start))
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return {gen, n - gen * count}
"""


class RedisStartBarrier:
    """Agreed start times for ``count`` parties through the Redis at ``url``."""

    def __init__(
        self,
        url: str,
        key_prefix: str,
        count: int,
        *,
        margin_s: float = 1.0,
        timeout_s: float = 3600.0,
        ttl_s: int = 3600,
        poll_s: float = 0.05,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._client: Redis = redis_client(url)
        self._prefix = key_prefix
        self.count = count
        self._margin = margin_s
        self._timeout = timeout_s
        self._ttl = ttl_s
        self._poll = poll_s
        self._wall = wall

    async def wait(self, name: str) -> float:
        """Arrive at barrier ``name``; return the agreed start (this machine's Unix seconds)
        once all ``count`` parties have arrived. Raises :class:`~llmops.errors.LlmopsError`
        after ``timeout_s`` without them, saying how many are missing."""
        arrived_key = state_key(self._prefix, "loadtest", name, "arrived")
        start_key = state_key(self._prefix, "loadtest", name, "start")
        gen, arrived = await self._client.eval(
            _ARRIVE, 2, arrived_key, start_key, self.count, self._margin, self._ttl
        )
        deadline = anyio.current_time() + self._timeout
        while True:
            value = await self._client.hget(start_key, str(gen))
            if value is not None:
                return float(value) + await self._offset()
            if anyio.current_time() >= deadline:
                raise LlmopsError(
                    f"start barrier {name}: waited {self._timeout:g}s, but only {int(arrived)} "
                    f"of {self.count} shards arrived (are they all running, with the same "
                    "options and state.url?)"
                )
            await anyio.sleep(self._poll)

    async def _offset(self) -> float:
        """This machine's wall clock minus the Redis server's (at the midpoint of a round trip)."""
        before = self._wall()
        secs, micros = await self._client.time()
        after = self._wall()
        return (before + after) / 2 - (secs + micros / 1e6)

    async def aclose(self) -> None:
        """Close the connection."""
        await self._client.aclose()
