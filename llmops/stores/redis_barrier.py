"""A start barrier in the shared Redis: N processes agree when to start, without a coordinator.

Each of ``count`` parties calls :meth:`RedisStartBarrier.wait` for the same ``name``; the last
to arrive sets the start, ``margin_s`` after now on the Redis server's clock, and every party
returns that moment on its own wall clock (the offset to the server's clock is measured, so
the machines' clocks need not agree). Arrivals are counted in generations of ``count``, so a
later run under the same name waits for its own parties; keys expire after ``ttl_s`` (at
least ``timeout_s`` and a minute). A party that waited ``timeout_s`` in vain leaves (its
arrival no longer counts, so a later attempt is not started by a party long gone) and raises,
naming who arrived and who is missing when each party says which it is (``party``). The
load test's shards use it for each level when ``state: redis`` is configured.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from llmops.errors import LlmopsError
from llmops.stores.redis_conn import redis_client, state_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["BarrierTimeout", "RedisStartBarrier"]


class BarrierTimeout(LlmopsError):
    """The other parties did not all arrive at barrier ``name`` within ``waited_s``:
    ``arrived`` of ``count`` did (this one included); ``missing`` are the absent parties'
    indices (0-based), ``None`` when the parties did not say which they are."""

    def __init__(
        self, name: str, waited_s: float, count: int, arrived: int, missing: list[int] | None
    ) -> None:
        self.name, self.waited_s, self.count = name, waited_s, count
        self.arrived, self.missing = arrived, missing
        absent = (
            f"; missing {', '.join(f'{i + 1}/{count}' for i in missing)}"
            if missing is not None
            else ""
        )
        super().__init__(
            f"waited {waited_s:g}s at the shards' start barrier: {arrived} of {count} shards "
            f"arrived{absent} (are they all running, with the same options and state.url?)"
        )


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
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[3], gen .. ':' .. ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return {gen, n - gen * count}
"""

# leave generation ARGV[1] unless it completed meanwhile; return the arrivals still counted
# and who (of every generation) said which party they are
_LEAVE = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return {1, 0, {}}
end
local n = redis.call('DECR', KEYS[1])
if ARGV[2] ~= '' then
  redis.call('SREM', KEYS[3], ARGV[1] .. ':' .. ARGV[2])
end
return {0, n, redis.call('SMEMBERS', KEYS[3])}
"""


class RedisStartBarrier:
    """Agreed start times for ``count`` parties through the Redis at ``url``; ``party`` is
    this one's index (0-based) among them, so that a timeout can name the missing ones."""

    def __init__(
        self,
        url: str,
        key_prefix: str,
        count: int,
        *,
        party: int | None = None,
        margin_s: float = 1.0,
        timeout_s: float = 3600.0,
        ttl_s: int = 3600,
        poll_s: float = 0.05,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._client: Redis = redis_client(url)
        self._prefix = key_prefix
        self.count = count
        self.party = party
        self._margin = margin_s
        self._timeout = timeout_s
        self._ttl = max(ttl_s, math.ceil(timeout_s) + 60)
        self._poll = poll_s
        self._wall = wall

    async def wait(self, name: str) -> float:
        """Arrive at barrier ``name``; return the agreed start (this machine's Unix seconds)
        once all ``count`` parties have arrived. After ``timeout_s`` without them, leave and
        raise :class:`BarrierTimeout`, saying how many arrived and which are missing."""
        keys = [
            state_key(self._prefix, "loadtest", name, what) for what in ("arrived", "start", "who")
        ]
        party = "" if self.party is None else str(self.party)
        gen, _ = await self._client.eval(
            _ARRIVE, 3, *keys, self.count, self._margin, self._ttl, party
        )
        deadline = anyio.current_time() + self._timeout
        while True:
            value = await self._client.hget(keys[1], str(gen))
            if value is not None:
                return float(value) + await self._offset()
            if anyio.current_time() >= deadline:
                done, left, who = await self._client.eval(_LEAVE, 3, *keys, gen, party)
                if not done:
                    others = int(left) - int(gen) * self.count  # still there, this one gone
                    raise self._timed_out(name, int(gen), others + 1, who)
            await anyio.sleep(self._poll)

    def _timed_out(self, name: str, gen: int, arrived: int, who: list[bytes]) -> BarrierTimeout:
        """The error of a timed-out wait: ``arrived`` counts this party; the missing are
        named when every party that arrived said which it is."""
        named = {
            int(tail)
            for member in who
            if (text := member.decode()).startswith(f"{gen}:")
            and (tail := text.partition(":")[2]).isdigit()
        }
        if self.party is not None:
            named.add(self.party)
        missing = None
        if self.party is not None and len(named) == arrived:
            missing = [i for i in range(self.count) if i not in named]
        return BarrierTimeout(name, self._timeout, self.count, arrived, missing)

    async def _offset(self) -> float:
        """This machine's wall clock minus the Redis server's (at the midpoint of a round trip)."""
        before = self._wall()
        secs, micros = await self._client.time()
        after = self._wall()
        return (before + after) / 2 - (secs + micros / 1e6)

    async def aclose(self) -> None:
        """Close the connection."""
        await self._client.aclose()
