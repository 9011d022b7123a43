"""Conversation history on Redis: every instance of a service sees every turn.

Per conversation two keys under one hash tag (``prefix:{conversation:ID}:turns`` — a list of
JSON turns — and ``…:meta`` — a hash with the turn count and the summary), written in one
MULTI/EXEC transaction so a reader never sees half an append. Redis expires both keys ``ttl_s``
after the last append. Needs the ``[redis]`` extra and an asyncio event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import orjson

from llmops.stores.conversations import (
    History,
    Summary,
    Turn,
    _Views,
    check_conversation_id,
)
from llmops.stores.redis_conn import redis_client, state_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisConversationStore"]


class RedisConversationStore(_Views):
    """Conversations shared by every instance through Redis (``state.backend: redis``)."""

    def __init__(self, client: Redis, *, key_prefix: str = "llmops", owns_client: bool = False):
        self._redis = client
        self._prefix = key_prefix
        self._owns = owns_client

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str = "llmops") -> RedisConversationStore:
        """A store with its own client for ``url``."""
        return cls(redis_client(url), key_prefix=key_prefix, owns_client=True)

    def _keys(self, conversation_id: str) -> tuple[str, str]:
        tag = "conversation:" + check_conversation_id(conversation_id)
        return state_key(self._prefix, tag, "turns"), state_key(self._prefix, tag, "meta")

    async def append(
        self,
        conversation_id: str,
        turns: Sequence[Mapping[str, str]],
        *,
        max_turns: int,
        ttl_s: float,
    ) -> None:
        """Add ``turns`` at the end, keep the newest ``max_turns``, refresh the TTL."""
        if not turns:
            return
        turns_key, meta_key = self._keys(conversation_id)
        ttl_ms = max(1, int(ttl_s * 1000))
        blobs = [orjson.dumps([t["role"], t["content"]]) for t in turns]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(turns_key, *blobs)
            pipe.ltrim(turns_key, -max_turns, -1)
            pipe.hincrby(meta_key, "count", len(blobs))
            pipe.pexpire(turns_key, ttl_ms)
            pipe.pexpire(meta_key, ttl_ms)
            await pipe.execute()

    async def history(self, conversation_id: str) -> History:
        """Every kept turn, oldest first, and the summary (empty when unknown or expired)."""
        turns_key, meta_key = self._keys(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(turns_key, 0, -1)
            pipe.hgetall(meta_key)
            raw_turns, meta = await pipe.execute()
        count = int(meta.get(b"count", len(raw_turns)))
        first = count - len(raw_turns)
        turns = []
        for i, blob in enumerate(raw_turns):
            role, content = orjson.loads(blob)
            turns.append(Turn(str(role), content, first + i))  # text or content parts
        summary = None
        if b"summary" in meta:
            text, covers = orjson.loads(meta[b"summary"])
            summary = Summary(str(text), int(covers))
        return History(turns, summary)

    async def set_summary(self, conversation_id: str, summary: Summary, *, ttl_s: float) -> None:
        """Keep ``summary`` with the conversation (replacing an older one)."""
        turns_key, meta_key = self._keys(conversation_id)
        ttl_ms = max(1, int(ttl_s * 1000))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(meta_key, "summary", orjson.dumps([summary.text, summary.covers]))
            pipe.pexpire(turns_key, ttl_ms)
            pipe.pexpire(meta_key, ttl_ms)
            await pipe.execute()

    async def delete(self, conversation_id: str) -> None:
        """Forget the conversation."""
        await self._redis.delete(*self._keys(conversation_id))

    async def aclose(self) -> None:
        """Close the client if this store made it."""
        if self._owns:
            await self._redis.aclose()
