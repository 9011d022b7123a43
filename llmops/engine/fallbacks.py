"""Graceful degradation: what answers when a call fails, per the feature's declared strategy."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from llmops.config import Fallback
from llmops.engine.clock import run_blocking
from llmops.errors import CallError, FeatureUnavailable
from llmops.stores.answers import AnswerCache, MemoryAnswerCache
from llmops.stores.reprocess import SqliteReprocessQueue


@dataclass(frozen=True, slots=True)
class FallbackAnswer:
    text: str | None
    value: Any = None
    queued_id: int | None = None


class Fallbacks:
    """The state behind the strategies: the answer cache and the durable reprocess queues."""

    def __init__(self, answer_cache: AnswerCache | None = None) -> None:
        self.answers: AnswerCache = answer_cache or MemoryAnswerCache()
        self._queues: dict[str, SqliteReprocessQueue] = {}
        self._queues_lock = threading.Lock()  # a queue may be opened in a worker thread

    def remember(self, feature: str, messages: Sequence[Mapping[str, str]], text: str) -> None:
        """Keep a good answer for the ``cached`` strategy."""
        self.answers.put(_cache_key(feature, messages), text)

    def queue(self, path: str) -> SqliteReprocessQueue:
        """The reprocess queue stored at ``path`` (opened once)."""
        with self._queues_lock:
            queue = self._queues.get(path)
            if queue is None:
                queue = self._queues[path] = SqliteReprocessQueue(path)
            return queue

    async def answer(
        self,
        fallback: Fallback,
        feature: str,
        messages: Sequence[Mapping[str, str]],
        err: CallError,
        *,
        at: float | None = None,
        clock: object = None,
    ) -> FallbackAnswer:
        """The fallback's answer to ``err``; raises when the strategy has none to give.

        ``error`` raises :class:`FeatureUnavailable` with the declared message; ``cached`` with
        nothing cached for this input re-raises ``err`` itself; ``queue`` stores the call (with
        ``at``, Unix seconds, as its time) off the event loop (inline on a virtual ``clock``,
        see :func:`~llmops.engine.clock.run_blocking`).
        """
        if fallback.strategy == "default":
            value = fallback.value
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            return FallbackAnswer(text, value)
        if fallback.strategy == "cached":
            cached = self.answers.get(_cache_key(feature, messages))
            if cached is None:
                raise err
            return FallbackAnswer(cached)
        if fallback.strategy == "queue":
            path = fallback.path
            queue = self._queues.get(path)
            if queue is None:  # opening creates the file: off the loop too
                queue = await run_blocking(clock, lambda: self.queue(path))
            copied = [dict(m) for m in messages]
            queued = await run_blocking(
                clock, lambda: queue.enqueue(feature, copied, err.error_type, enqueued_at=at)
            )
            return FallbackAnswer(None, queued_id=queued)
        raise FeatureUnavailable(fallback.message, cause=err) from err

    def close(self) -> None:
        """Close the reprocess queues (blocking: the engine runs it in a worker thread)."""
        with self._queues_lock:
            for queue in self._queues.values():
                queue.close()
            self._queues.clear()


def _cache_key(feature: str, messages: Sequence[Mapping[str, str]]) -> str:
    digest = hashlib.sha256(orjson.dumps([feature, [dict(m) for m in messages]])).hexdigest()
    return digest[:32]
