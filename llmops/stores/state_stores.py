"""The engine's conversation store, answer caches and reprocess queues, on the configured backend.

``state.backend: memory`` (the default) keeps conversations and answers in this process and the
reprocess queues in SQLite files; ``state.backend: redis`` puts all three on the shared Redis,
through the engine's one client (or one made from ``state.url`` when first needed). An isolated
engine (load tests, drills) keeps everything in process and its queues in a temporary folder,
whatever the configuration says.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from llmops.config import CachedFallback, QueueFallback, StateConfig
from llmops.engine.clock import AnyioClock, Clock
from llmops.stores.answers import AnswerCache, MemoryAnswerCache
from llmops.stores.conversations import ConversationStore, MemoryConversationStore
from llmops.stores.reprocess import ReprocessQueue
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["StateStores", "state_errors"]


def state_errors() -> tuple[type[BaseException], ...]:
    """What a store raises when its backend cannot be reached (OS errors; Redis's own)."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:
        return (OSError,)
    return (OSError, RedisConnectionError, RedisTimeoutError)


def _default_clock() -> Clock:
    return _ANYIO


_ANYIO = AnyioClock()


class _ClockOf:
    """The wall clock and virtual flag of whatever clock the engine has now."""

    def __init__(self, clock: Callable[[], Clock]) -> None:
        self._clock = clock

    def wall(self) -> float:
        return self._clock().wall()

    @property
    def virtual(self) -> bool:
        return bool(getattr(self._clock(), "virtual", False))


class StateStores:
    """Makes (once each) and closes the stores an engine uses.

    ``clock`` returns the engine's clock (it is chosen when the engine starts): its monotonic
    time for TTLs in memory, its wall clock for timestamps and SQLite leases (which must hold
    across processes), and whether it is virtual (SQLite then works inline).
    """

    def __init__(
        self,
        state: StateConfig,
        *,
        clock: Callable[[], Clock] | None = None,
        answer_cache: AnswerCache | None = None,
        isolated: bool = False,
    ) -> None:
        self.state = StateConfig() if isolated else state
        self.isolated = isolated
        self._scratch: Path | None = None
        self._clock_of = clock or _default_clock
        self._now = lambda: self._clock_of().now()
        self._wall = _ClockOf(self._clock_of)
        self._given_cache = answer_cache
        self._redis: Redis | None = None
        self._owns_client = False
        self._conversations: ConversationStore | None = None
        self._answers: dict[str, AnswerCache] = {}
        self._queues: dict[str, ReprocessQueue] = {}

    @property
    def shared(self) -> bool:
        return self.state.backend == "redis"

    def share_client(self, client: Redis | None) -> None:
        """Use ``client`` (the engine's one Redis client, which its owner closes) from now on."""
        if client is not None and self._redis is None:
            self._redis = client
            self._owns_client = False

    def _client(self) -> Redis:
        if self._redis is None:
            from llmops.stores.redis_conn import redis_client

            assert self.state.url is not None  # StateConfig requires it with backend: redis
            self._redis = redis_client(self.state.url)
            self._owns_client = True
        return self._redis

    def conversations(self) -> ConversationStore:
        """The conversation store (one per engine)."""
        if self._conversations is None:
            if self.shared:
                from llmops.stores.conversations_redis import RedisConversationStore

                self._conversations = RedisConversationStore(
                    self._client(), key_prefix=self.state.key_prefix
                )
            else:
                self._conversations = MemoryConversationStore(self._now)
        return self._conversations

    def answers(self, feature: str, fallback: CachedFallback) -> AnswerCache:
        """The answer cache of a feature whose fallback is ``cached``."""
        if self._given_cache is not None:
            return self._given_cache
        cache = self._answers.get(feature)
        if cache is None:
            if self.shared:
                from llmops.stores.answers_redis import RedisAnswerCache

                cache = RedisAnswerCache(
                    self._client(),
                    key_prefix=self.state.key_prefix,
                    namespace=feature,
                    max_entries=fallback.max_entries,
                    ttl_s=fallback.ttl,
                )
            else:
                cache = MemoryAnswerCache(fallback.max_entries, fallback.ttl, self._now)
            self._answers[feature] = cache
        return cache

    def queue(self, feature: str, fallback: QueueFallback) -> ReprocessQueue:
        """The reprocess queue of a feature whose fallback is ``queue``."""
        queue = self._queues.get(feature)
        if queue is None:
            if self.shared:
                from llmops.stores.reprocess_redis import RedisReprocessQueue

                queue = RedisReprocessQueue(
                    self._client(),
                    feature,
                    key_prefix=self.state.key_prefix,
                    lease_s=fallback.lease,
                    max_attempts=fallback.max_attempts,
                    clock=self._wall,
                )
            else:
                queue = SqliteReprocessQueue(
                    self._queue_path(feature, fallback),
                    feature,
                    lease_s=fallback.lease,
                    max_attempts=fallback.max_attempts,
                    clock=self._wall,
                )
            self._queues[feature] = queue
        return queue

    def _queue_path(self, feature: str, fallback: QueueFallback) -> Path:
        if not self.isolated:
            return Path(fallback.path)
        if self._scratch is None:  # synthetic traffic never lands in the service's queue file
            self._scratch = Path(tempfile.mkdtemp(prefix="llmops-isolated-queue-"))
        return self._scratch / f"{feature}.sqlite3"

    async def aclose(self) -> None:
        """Close the queues, the stores and the Redis client (and an isolated queue's files)."""
        for queue in self._queues.values():
            await queue.aclose()
        self._queues.clear()
        if self._redis is not None and self._owns_client:
            await self._redis.aclose()
        self._redis = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
