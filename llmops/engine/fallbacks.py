"""Graceful degradation: what answers when a call fails, per the feature's declared strategy."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from llmops.config import CachedFallback, Fallback, QueueFallback
from llmops.errors import CallError, FeatureUnavailable
from llmops.stores.reprocess import ReprocessQueue
from llmops.stores.state_stores import StateStores, state_errors


@dataclass(frozen=True, slots=True)
class FallbackAnswer:
    text: str | None
    value: Any = None
    queued_id: str | None = None


class Fallbacks:
    """The strategies over the state behind them: answer caches and reprocess queues."""

    def __init__(self, stores: StateStores) -> None:
        self.stores = stores

    async def remember(
        self,
        feature: str,
        fallback: CachedFallback,
        messages: Sequence[Mapping[str, str]],
        text: str,
    ) -> None:
        """Keep a good answer for the ``cached`` strategy (best effort: an unreachable shared
        cache never fails a call that has its answer)."""
        with contextlib.suppress(*state_errors()):
            await self.stores.answers(feature, fallback).put(_cache_key(feature, messages), text)

    def queue(self, feature: str, fallback: QueueFallback) -> ReprocessQueue:
        """The reprocess queue of ``feature`` (opened once)."""
        return self.stores.queue(feature, fallback)

    async def answer(
        self,
        fallback: Fallback,
        feature: str,
        messages: Sequence[Mapping[str, str]],
        err: CallError,
    ) -> FallbackAnswer:
        """The fallback's answer to ``err``; raises when the strategy has none to give.

        ``error`` raises :class:`FeatureUnavailable` with the declared message; ``cached`` with
        nothing cached for this input re-raises ``err`` itself, and so do ``cached`` and
        ``queue`` when their store cannot be reached (the state error is its ``__cause__``).
        """
        try:
            return await self._answer(fallback, feature, messages, err)
        except state_errors() as exc:
            raise err from exc

    async def _answer(
        self,
        fallback: Fallback,
        feature: str,
        messages: Sequence[Mapping[str, str]],
        err: CallError,
    ) -> FallbackAnswer:
        if fallback.strategy == "default":
            value = fallback.value
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            return FallbackAnswer(text, value)
        if fallback.strategy == "cached":
            cached = await self.stores.answers(feature, fallback).get(_cache_key(feature, messages))
            if cached is None:
                raise err
            return FallbackAnswer(cached)
        if fallback.strategy == "queue":
            queued = await self.queue(feature, fallback).enqueue(messages, err.error_type)
            return FallbackAnswer(None, queued_id=queued)
        raise FeatureUnavailable(fallback.message, cause=err) from err

    async def aclose(self) -> None:
        await self.stores.aclose()


def _cache_key(feature: str, messages: Sequence[Mapping[str, str]]) -> str:
    digest = hashlib.sha256(orjson.dumps([feature, [dict(m) for m in messages]])).hexdigest()
    return digest[:32]
