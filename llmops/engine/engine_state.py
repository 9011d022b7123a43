"""The engine's calls over its state: reprocess queues, background drains, summarisers, and
breakers forced open or closed (drills).

:class:`StateMethods` is a base of :class:`~llmops.engine.engine.Engine` (kept apart so the
engine's module stays about the call path); it relies on the engine's configuration, clock,
stores and upstreams.
"""

from __future__ import annotations

from collections.abc import Awaitable

from llmops.config import FeatureConfig, LlmopsConfig
from llmops.core.breaker import BreakerState
from llmops.engine.clock import Clock
from llmops.engine.conversation import Conversations, SummaryHook
from llmops.engine.drain import BackgroundDrains, DrainCallback
from llmops.engine.fallbacks import Fallbacks
from llmops.engine.upstream import Upstream
from llmops.errors import InputError
from llmops.stores.breaker_state import DONE
from llmops.stores.reprocess import ReprocessQueue

#: the settings of a call that names no feature (one object: the route table caches by it)
_ADHOC = FeatureConfig()


class StateMethods:
    """Queues, drains, the breaker's state and summarisers, as the engine exposes them."""

    config: LlmopsConfig
    clock: Clock
    conversations: Conversations
    _drains: BackgroundDrains
    _fallbacks: Fallbacks

    def _feature(self, name: str) -> FeatureConfig:
        raise NotImplementedError

    def _upstream_for(self, cfg: FeatureConfig) -> tuple[str, Upstream]:
        raise NotImplementedError

    def upstream(self, provider: str | None = None) -> Upstream:
        raise NotImplementedError

    def open_circuit(
        self, provider: str | None = None, *, hold_s: float | None = None
    ) -> Awaitable[None]:
        """Force the breaker open until :meth:`close_circuit` or ``hold_s``, on every instance.

        It acts on this instance at once; await the result to be sure every instance sharing
        the state sees it too (already done in process).
        """
        up = self.upstream(provider)
        if up.breaker is None:
            return DONE
        done = up.breaker.force_open(hold_s)
        up._flush_transitions()
        return done

    def close_circuit(self, provider: str | None = None) -> Awaitable[None]:
        """Force the breaker closed with a fresh window, on every instance (see open_circuit)."""
        up = self.upstream(provider)
        if up.breaker is None:
            return DONE
        done = up.breaker.force_close()
        up._flush_transitions()
        return done

    def reprocess_queue(self, feature: str) -> ReprocessQueue:
        """The durable queue of a feature whose fallback is ``queue``."""
        fallback = self._feature(feature).fallback
        if fallback.strategy != "queue":
            raise InputError(f"feature {feature!r} has no queue fallback")
        return self._fallbacks.queue(feature, fallback)

    def on_drained(self, feature: str, callback: DrainCallback) -> None:
        """Receive each answer the background drain of ``feature`` (``auto_drain``) produces.

        ``callback(drained)`` may be async; ``drained.item`` is the queued call, ``drained.result``
        the answer. The item is acknowledged after the callback returns; if it raises, the item
        is delivered again later.
        """
        self.reprocess_queue(feature)  # a feature with a queue fallback, or InputError
        self._drains.callbacks[feature] = callback

    def breaker_open(self, feature: str | None = None) -> bool:
        """Whether the breaker of the provider ``feature`` calls is open right now."""
        cfg = self._feature(feature) if feature is not None else _ADHOC
        breaker = self._upstream_for(cfg)[1].breaker
        return breaker is not None and breaker.known_state() is BreakerState.OPEN

    def set_summarizer(self, feature: str, hook: SummaryHook) -> None:
        """Summarise what a conversational feature trims with ``hook(previous, turns) -> text``."""
        if self._feature(feature).conversation is None:
            raise InputError(f"feature {feature!r} has no conversation section")
        self.conversations.hooks[feature] = hook
