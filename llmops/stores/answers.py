"""The last good answer per (feature, normalised input): what the ``cached`` fallback serves.

One small interface, :class:`AnswerCache` (``get``/``put``), with an in-process LRU as the
embedded default and :class:`~llmops.stores.answers_redis.RedisAnswerCache` shared by every
instance. Both bound the number of answers kept and serve an answer for ``ttl_s`` after it was
stored, never longer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["AnswerCache", "MemoryAnswerCache"]


class AnswerCache(Protocol):
    """Good answers by key, each kept for a while and only so many."""

    async def get(self, key: str) -> str | None:
        """The answer stored under ``key`` and not yet expired, or None."""
        ...

    async def put(self, key: str, answer: str) -> None:
        """Store ``answer`` under ``key`` (the oldest answers go beyond the size bound)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryAnswerCache:
    """In-process LRU with a TTL; the embedded default.

    ``now`` is the time source for the TTL (the engine passes its clock's).
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl_s: float = 86_400.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._now = now
        self._data: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        """The answer stored under ``key`` and not yet expired, or None."""
        found = self._data.get(key)
        if found is None:
            return None
        if found[1] <= self._now():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return found[0]

    async def put(self, key: str, answer: str) -> None:
        """Store ``answer`` under ``key`` (the least recently used go beyond the bound)."""
        self._data[key] = (answer, self._now() + self.ttl_s)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    async def aclose(self) -> None:
        """Nothing to release."""
