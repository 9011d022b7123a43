"""The reprocess queue as a Redis stream with a consumer group: one queue for the whole fleet.

Per feature, under one hash tag: the stream ``prefix:{queue:FEATURE}:items`` (``XADD`` to
enqueue), the consumer group ``drain`` (``XREADGROUP`` to take new items, ``XAUTOCLAIM`` to take
over items whose consumer kept them longer than the lease — the Redis server's clock decides,
never a client's), ``…:errors`` (the last failure per item) and the stream ``…:dead`` (dead
letters). ``XACK`` + ``XDEL`` remove an item once reprocessed. Needs the ``[redis]`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmops.stores.redis_conn import redis_client, state_key
from llmops.stores.reprocess import (
    SYSTEM_WALL,
    DeadLetter,
    QueuedCall,
    QueueStatus,
    WallClock,
    decode_payload,
    encode_payload,
    exhausted_reason,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisReprocessQueue"]

GROUP = "drain"
_DEAD_MAXLEN = 100_000


class RedisReprocessQueue:
    """One feature's queue in a Redis stream, shared by every instance."""

    def __init__(
        self,
        client: Redis,
        feature: str,
        *,
        key_prefix: str = "llmops",
        lease_s: float = 300.0,
        max_attempts: int = 5,
        owns_client: bool = False,
        clock: WallClock | None = None,
    ) -> None:
        self.feature = feature
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self._redis: Any = client  # redis-py's stubs type stream replies loosely
        self._owns = owns_client
        self._wall = (clock or SYSTEM_WALL).wall
        tag = f"queue:{feature}"
        self.stream = state_key(key_prefix, tag, "items")
        self._errors = state_key(key_prefix, tag, "errors")
        self._dead = state_key(key_prefix, tag, "dead")
        self._group_ready = False

    @classmethod
    def from_url(cls, url: str, feature: str, **kwargs: Any) -> RedisReprocessQueue:
        """A queue with its own client for ``url`` (other arguments as the constructor's)."""
        return cls(redis_client(url), feature, owns_client=True, **kwargs)

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease_s * 1000))

    async def _group(self) -> None:
        if self._group_ready:
            return
        from redis.exceptions import ResponseError

        try:
            await self._redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def enqueue(self, messages: Sequence[Mapping[str, str]], error_type: str) -> str:
        """Append one failed call to the stream (acknowledged by Redis); returns its id."""
        await self._group()
        blob = encode_payload(messages, error_type, self._wall())
        item_id = await self._redis.xadd(self.stream, {"p": blob})
        return bytes(item_id).decode()

    async def take(self, consumer: str, *, limit: int = 1) -> list[QueuedCall]:
        """Lease up to ``limit`` items: expired leases first (``XAUTOCLAIM``), then new ones."""
        await self._group()
        taken: list[QueuedCall] = []
        while len(taken) < limit:
            want = limit - len(taken)
            entries = await self._expired(consumer, want)
            if len(entries) < want:
                fresh = await self._redis.xreadgroup(
                    GROUP, consumer, {self.stream: ">"}, count=want - len(entries)
                )
                for _stream, got in fresh or []:
                    entries.extend(got)
            if not entries:
                break
            for raw_id, fields in entries:
                call = await self._admit(bytes(raw_id).decode(), fields)
                if call is not None:
                    taken.append(call)
        return taken

    async def _expired(self, consumer: str, want: int) -> list[Any]:
        """Claim up to ``want`` items whose lease ran out, scanning the whole pending list."""
        entries: list[Any] = []
        cursor: Any = "0-0"
        while len(entries) < want:
            cursor, got, *_deleted = await self._redis.xautoclaim(
                self.stream, GROUP, consumer, self._lease_ms, cursor, count=want - len(entries)
            )
            entries.extend(got)
            if cursor in (b"0-0", "0-0"):
                break
        return entries

    async def _admit(self, item_id: str, fields: Mapping[bytes, bytes]) -> QueuedCall | None:
        info = await self._redis.xpending_range(self.stream, GROUP, item_id, item_id, 1)
        attempts = int(info[0]["times_delivered"]) if info else 1
        blob = fields.get(b"p", b"") if fields else b""
        if attempts > self.max_attempts:
            last = await self._redis.hget(self._errors, item_id)
            reason = exhausted_reason(attempts - 1, last.decode() if last else None)
            await self._bury(item_id, blob, attempts - 1, reason)
            return None
        try:
            messages, error_type, at = decode_payload(blob)
        except ValueError as exc:
            await self._bury(item_id, blob, attempts, f"cannot decode: {exc}")
            return None
        return QueuedCall(item_id, self.feature, messages, error_type, at, attempts)

    async def _bury(self, item_id: str, blob: bytes, attempts: int, reason: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self._dead,
                {"id": item_id, "reason": reason, "attempts": attempts, "p": blob},
                maxlen=_DEAD_MAXLEN,
                approximate=True,
            )
            self._remove(pipe, item_id)
            await pipe.execute()

    def _remove(self, pipe: Any, item_id: str) -> None:
        """Queue on ``pipe`` the commands that take ``item_id`` out of the queue for good."""
        pipe.xack(self.stream, GROUP, item_id)
        pipe.xdel(self.stream, item_id)
        pipe.hdel(self._errors, item_id)

    async def ack(self, item_id: str) -> None:
        """The item was reprocessed: remove it for good."""
        async with self._redis.pipeline(transaction=True) as pipe:
            self._remove(pipe, item_id)
            await pipe.execute()

    async def retry_later(self, item_id: str, reason: str) -> None:
        """The attempt failed: note why; the item is taken again once its lease ends."""
        await self._redis.hset(self._errors, item_id, reason)

    async def release(self, item: QueuedCall) -> None:
        """Give ``item`` back at once (idle past any lease), its delivery not counted."""
        await self._redis.xclaim(
            self.stream,
            GROUP,
            "released",
            0,
            [item.id],
            idle=2 * self._lease_ms + 1000,
            retrycount=max(0, item.attempts - 1),
            justid=True,
        )

    async def pending(self, limit: int = 100) -> list[QueuedCall]:
        """Items not yet acknowledged, oldest first, without taking them (undecodable skipped)."""
        out = []
        for raw_id, fields in await self._redis.xrange(self.stream, count=limit):
            try:
                messages, error_type, at = decode_payload(fields.get(b"p", b""))
            except ValueError:
                continue
            out.append(QueuedCall(bytes(raw_id).decode(), self.feature, messages, error_type, at))
        return out

    async def dead(self, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        out = []
        for _raw_id, f in await self._redis.xrange(self._dead, count=limit):
            out.append(
                DeadLetter(
                    f[b"id"].decode(),
                    self.feature,
                    f[b"reason"].decode(),
                    int(f[b"attempts"]),
                    f.get(b"p", b"").decode(errors="replace"),
                )
            )
        return out

    async def status(self) -> QueueStatus:
        """Counts of waiting, leased (delivered, not acknowledged) and dead items."""
        await self._group()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.stream)
            pipe.xpending(self.stream, GROUP)
            pipe.xlen(self._dead)
            total, pending, dead = await pipe.execute()
        leased = int(pending["pending"]) if pending else 0
        return QueueStatus(self.feature, int(total) - leased, leased, int(dead))

    async def aclose(self) -> None:
        """Close the client if this queue made it."""
        if self._owns:
            await self._redis.aclose()
