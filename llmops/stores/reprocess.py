"""The reprocess queue behind the ``queue`` fallback: failed calls kept until the API recovers.

One small interface, :class:`ReprocessQueue`, one queue per feature, with a SQLite file as the
embedded default (:class:`~llmops.stores.reprocess_sqlite.SqliteReprocessQueue`) and a Redis
stream with a consumer group when shared
(:class:`~llmops.stores.reprocess_redis.RedisReprocessQueue`). The contract, on every backend:

- ``enqueue`` returns once the item is durable; items are taken oldest first.
- ``take`` leases items to a consumer for ``lease_s``; an item not acknowledged (``ack``) before
  its lease ends is taken again — a worker that dies loses nothing (at-least-once delivery: a
  consumer may see an item twice, never zero times). ``retry_later`` notes why an attempt
  failed; the item waits out its lease (a backoff) before it is taken again. ``release`` gives
  an item back at once without counting the delivery (the breaker was open: not its fault).
- An item is delivered at most ``max_attempts`` times; then it moves to the dead letters with
  the reason. So does an item that cannot be decoded, and ``take`` goes on with the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from llmops.engine.clock import wall_time

__all__ = [
    "SYSTEM_WALL",
    "DeadLetter",
    "QueueStatus",
    "QueuedCall",
    "ReprocessQueue",
    "WallClock",
    "decode_payload",
    "encode_payload",
]


class WallClock(Protocol):
    """What a queue reads time from: wall-clock seconds (an engine's :class:`Clock` will do)."""

    def wall(self) -> float: ...


class _SystemWall:
    virtual = False

    def wall(self) -> float:
        return wall_time()


#: the system's wall clock, for queues used outside an engine
SYSTEM_WALL: WallClock = _SystemWall()


@dataclass(frozen=True, slots=True)
class QueuedCall:
    """One failed call waiting to be reprocessed.

    ``enqueued_at`` is wall-clock seconds since the epoch; ``attempts`` counts deliveries,
    this one included (0 when read without taking it).
    """

    id: str
    feature: str
    messages: list[dict[str, str]]
    error_type: str
    enqueued_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An item given up on: why, after how many deliveries, and its payload as stored."""

    id: str
    feature: str
    reason: str
    attempts: int
    payload: str


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """How many items wait, are leased to a consumer right now, and are dead."""

    feature: str
    waiting: int
    leased: int
    dead: int


class ReprocessQueue(Protocol):
    """A feature's durable queue of failed calls (see the module docstring for the contract)."""

    feature: str
    lease_s: float
    max_attempts: int

    async def enqueue(self, messages: Sequence[Mapping[str, str]], error_type: str) -> str:
        """Store one failed call durably; returns its id."""
        ...

    async def take(self, consumer: str, *, limit: int = 1) -> list[QueuedCall]:
        """Lease up to ``limit`` items to ``consumer``, oldest first (expired leases included)."""
        ...

    async def ack(self, item_id: str) -> None:
        """The item was reprocessed: remove it for good."""
        ...

    async def retry_later(self, item_id: str, reason: str) -> None:
        """The attempt failed: note why; the item is taken again once its lease ends."""
        ...

    async def release(self, item: QueuedCall) -> None:
        """Give ``item`` back at once, its delivery not counted (the API was down, not the item
        at fault: an outage never pushes items to the dead letters)."""
        ...

    async def pending(self, limit: int = 100) -> list[QueuedCall]:
        """Items not yet acknowledged, oldest first, without taking them."""
        ...

    async def dead(self, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        ...

    async def status(self) -> QueueStatus:
        """Counts of waiting, leased and dead items."""
        ...

    async def aclose(self) -> None:
        """Release the connection."""
        ...


def encode_payload(messages: Sequence[Mapping[str, str]], error_type: str, at: float) -> bytes:
    """The stored form of one item (JSON)."""
    return orjson.dumps(
        {"messages": [dict(m) for m in messages], "error_type": error_type, "enqueued_at": at}
    )


def decode_payload(blob: object) -> tuple[list[dict[str, str]], str, float]:
    """``(messages, error_type, enqueued_at)`` from a stored item; ``ValueError`` saying why not."""
    if not isinstance(blob, bytes | bytearray | memoryview | str):
        raise ValueError(f"a payload of type {type(blob).__name__}, expected JSON")
    try:
        data: Any = orjson.loads(blob)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if isinstance(data, list):  # the SQLite file's first layout stored the messages alone
        data = {"messages": data, "error_type": "", "enqueued_at": 0.0}
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise ValueError("expected an object with a 'messages' list")
    messages: list[dict[str, str]] = []
    for i, m in enumerate(data["messages"]):
        if not (
            isinstance(m, dict)
            and isinstance(m.get("role"), str)
            and isinstance(m.get("content"), str)
        ):
            raise ValueError(f"messages[{i}] is not a {{role, content}} object of strings")
        messages.append({"role": m["role"], "content": m["content"]})
    at = data.get("enqueued_at", 0.0)
    return (
        messages,
        str(data.get("error_type", "")),
        float(at) if isinstance(at, int | float) else 0.0,
    )


def payload_bytes(blob: object) -> bytes:
    """A stored payload as bytes, whatever the store held (for a dead letter)."""
    if isinstance(blob, bytes | bytearray | memoryview):
        return bytes(blob)
    return str(blob).encode("utf-8", errors="replace")


def exhausted_reason(attempts: int, last_error: str | None) -> str:
    """The dead-letter reason of an item delivered ``attempts`` times without success."""
    last = f"; last error: {last_error}" if last_error else ""
    return f"gave up after {attempts} deliveries{last}"
