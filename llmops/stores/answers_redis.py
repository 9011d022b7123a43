"""The answer cache on Redis: the ``cached`` fallback of every instance serves every answer.

Two keys under the ``{answers}`` hash tag: a hash of answers and a sorted set of their expiry
times (the Redis server's clock, in milliseconds). One server-side script per operation keeps
them consistent: ``put`` stores, drops what has expired and then the oldest beyond the size
bound; ``get`` serves only what has not expired. Needs the ``[redis]`` extra and asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops.stores.redis_conn import redis_client, state_key

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["RedisAnswerCache"]

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

_PUT = (
    _NOW_MS
    + """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('ZREM', KEYS[2], unpack(gone))
end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return 1
"""
)

_GET = (
    _NOW_MS
    + """
local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not expiry then return false end
if tonumber(expiry) <= now then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
return redis.call('HGET', KEYS[1], ARGV[1])
"""
)


class RedisAnswerCache:
    """Answers shared by every instance through Redis, with a TTL and a size bound.

    ``namespace`` (the engine uses the feature's name) gives each feature its own bound.
    """

    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str = "llmops",
        namespace: str = "default",
        max_entries: int = 10_000,
        ttl_s: float = 86_400.0,
        owns_client: bool = False,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._redis = client
        self._owns = owns_client
        self._keys = [
            state_key(key_prefix, "answers", namespace, "values"),
            state_key(key_prefix, "answers", namespace, "expiry"),
        ]
        self._put: AsyncScript = client.register_script(_PUT)
        self._get: AsyncScript = client.register_script(_GET)

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str = "llmops", **kwargs: float) -> RedisAnswerCache:
        """A cache with its own client for ``url`` (``max_entries``, ``ttl_s`` as keywords)."""
        return cls(
            redis_client(url),
            key_prefix=key_prefix,
            max_entries=int(kwargs.get("max_entries", 10_000)),
            ttl_s=float(kwargs.get("ttl_s", 86_400.0)),
            owns_client=True,
        )

    async def get(self, key: str) -> str | None:
        """The answer stored under ``key`` and not yet expired, or None."""
        found = await self._get(keys=self._keys, args=[key])
        return None if found is None else bytes(found).decode()

    async def put(self, key: str, answer: str) -> None:
        """Store ``answer``; drop expired answers, then the oldest beyond ``max_entries``."""
        ttl_ms = int(self.ttl_s * 1000)  # under a millisecond: expired at once
        await self._put(keys=self._keys, args=[key, answer.encode(), ttl_ms, self.max_entries])

    async def aclose(self) -> None:
        """Close the client if this cache made it."""
        if self._owns:
            await self._redis.aclose()
