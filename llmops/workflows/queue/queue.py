"""``llmops queue``: the reprocess queues of a configuration — their state, their dead letters,
and draining them through the engine once the API is back.

:func:`drain` is the library call: it yields each drained item with its answer, so a service can
store the answer where it belongs; an item is acknowledged once the caller asks for the next one
(at-least-once). :func:`queue_status` and :func:`dead_letters` only read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio

from llmops.config import LlmopsConfig, QueueFallback
from llmops.engine.drain import Drained, QueueDrain, StopReason
from llmops.engine.transport import Transport
from llmops.errors import ConfigError, InputError, did_you_mean
from llmops.redact import redact_urls
from llmops.stores.reprocess import DeadLetter, QueueStatus
from llmops.stores.state_stores import StateStores, state_errors

__all__ = ["DrainSummary", "dead_letters", "drain", "drain_all", "queue_features", "queue_status"]


@dataclass(frozen=True, slots=True)
class DrainSummary:
    """How a drain went: answered, failed (given back), why it stopped, what is left."""

    feature: str
    done: int
    failed: int
    stopped: StopReason | None
    left: QueueStatus


def queue_features(config: LlmopsConfig, only: str | None = None) -> dict[str, QueueFallback]:
    """The features whose fallback is ``queue`` (just ``only`` when given)."""
    found = {
        name: f.fallback
        for name, f in config.features.items()
        if isinstance(f.fallback, QueueFallback)
    }
    if only is None:
        if not found:
            raise InputError("no feature has fallback: {strategy: queue}")
        return found
    if only not in found:
        known = sorted(found)
        hint = did_you_mean(only, known, otherwise=f" (queues: {', '.join(known) or 'none'})")
        raise InputError(f"--feature: got {only!r}, expected a feature with a queue fallback{hint}")
    return {only: found[only]}


@contextmanager
def _reachable(config: LlmopsConfig) -> Iterator[None]:
    """A Redis that cannot be reached is one line naming the key and the URL (no password)."""
    if config.state.backend != "redis":
        yield
        return
    try:
        yield
    except state_errors() as exc:
        raise ConfigError(_unreachable(config, exc)) from None


def _unreachable(config: LlmopsConfig, exc: BaseException) -> str:
    url = redact_urls(config.state.url or "")
    return f"state.url: cannot reach Redis at {url} ({redact_urls(str(exc))})"


async def queue_status(config: LlmopsConfig, feature: str | None = None) -> list[QueueStatus]:
    """Waiting, leased and dead counts of every queue (or ``feature``'s)."""
    stores = StateStores(config.state)
    try:
        with _reachable(config):
            return [
                await stores.queue(name, fb).status()
                for name, fb in queue_features(config, feature).items()
            ]
    finally:
        await stores.aclose()


async def dead_letters(
    config: LlmopsConfig, feature: str | None = None, limit: int = 100
) -> list[DeadLetter]:
    """The dead letters of every queue (or ``feature``'s), oldest first per queue."""
    stores = StateStores(config.state)
    try:
        with _reachable(config):
            out: list[DeadLetter] = []
            for name, fb in queue_features(config, feature).items():
                out.extend(await stores.queue(name, fb).dead(limit))
            return out
    finally:
        await stores.aclose()


async def drain(
    config: LlmopsConfig,
    feature: str,
    *,
    limit: int | None = None,
    rate: float | None = None,
    transport: Transport | None = None,
    summary: Callable[[DrainSummary], None] | None = None,
    stop: anyio.Event | None = None,
) -> AsyncIterator[Drained]:
    """Reprocess ``feature``'s queued calls through an engine of ``config``, oldest first.

    Yields each item with the model's answer; the item is acknowledged when the caller asks
    for the next one, so an answer the caller never received is delivered again later. Stops
    when the queue is empty, after ``limit`` items, when the breaker opens again, or once
    ``stop`` is set (Ctrl-C: after the item in hand is answered and acknowledged);
    ``summary`` (if given) then receives the :class:`DrainSummary`.
    """
    from llmops.engine.engine import Engine

    queue_features(config, feature)
    with _reachable(config):
        async with Engine(config, transport=transport) as engine:
            run = QueueDrain(engine, feature, limit=limit, rate=rate, stop=stop)
            async for drained in run:
                yield drained
            if summary is not None:
                left = await engine.reprocess_queue(feature).status()
                summary(DrainSummary(feature, run.done, run.failed, run.stopped, left))


async def drain_all(
    config: LlmopsConfig,
    feature: str,
    on_item: Callable[[Drained], None],
    *,
    limit: int | None = None,
    rate: float | None = None,
    transport: Transport | None = None,
    stop: anyio.Event | None = None,
) -> DrainSummary:
    """:func:`drain`, handing each item to ``on_item``; the summary of the run."""
    got: list[DrainSummary] = []
    async for drained in drain(
        config,
        feature,
        limit=limit,
        rate=rate,
        transport=transport,
        summary=got.append,
        stop=stop,
    ):
        on_item(drained)
    return got[0]
