"""The engine's circuit breaker behind one small interface, and its in-process implementation.

A :class:`Breaker` answers whether a call may go upstream (a :class:`Permit`), takes each allowed
call's outcome, and can be forced open or closed for drills. :class:`LocalBreaker` wraps the
sans-I/O :class:`~llmops.core.breaker.CircuitBreaker` for one process;
:mod:`llmops.stores.redis_breaker` keeps one breaker for a whole fleet.

``force_open``/``force_close`` are plain methods so synchronous code can call them: they act on
this instance at once and return an awaitable that completes once every instance sees the change
(already complete in process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from llmops.config import BreakerConfig
from llmops.core.breaker import BreakerState, CircuitBreaker, Transition

__all__ = ["DONE", "Breaker", "LocalBreaker", "Permit"]


@dataclass(frozen=True, slots=True)
class Permit:
    """The breaker's answer: ``allowed``, else ``retry_after`` seconds until it may be.

    An allowed ``probe`` is one of the half-open state's limited trial calls; ``epoch`` names the
    breaker state it was given in (an outcome from an older state is not a probe's outcome).
    """

    allowed: bool
    retry_after: float = 0.0
    probe: bool = False
    epoch: int = 0


class _Done:
    """An awaitable that is already complete."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


#: the awaitable a change returns when it has already reached every instance
DONE: Awaitable[None] = _Done()


class Breaker(Protocol):
    """Closed → open on the failure rate; open → half-open → closed after successful probes."""

    #: whether other instances share this breaker (closing it by hand closes it for them too)
    shared: bool

    async def allow(self) -> Permit:
        """Whether a call may go upstream now. Every allowed call gets ``record`` or ``release``."""
        ...

    async def record(self, permit: Permit, ok: bool, duration_s: float) -> None:
        """The outcome of an allowed call that took ``duration_s``."""
        ...

    async def release(self, permit: Permit) -> None:
        """An allowed call ended without an outcome that says anything about the upstream."""
        ...

    def force_open(self, hold_s: float | None = None) -> Awaitable[None]:
        """Open now, for ``hold_s`` seconds or until :meth:`force_close`."""
        ...

    def force_close(self) -> Awaitable[None]:
        """Close now with a fresh window."""
        ...

    def known_state(self) -> BreakerState:
        """The state as this instance last saw it (exact in process)."""
        ...

    def drain_transitions(self) -> list[Transition]:
        """State changes this instance made since the last drain, as ``(old, new, reason)``."""
        ...


class LocalBreaker:
    """This process's breaker: the core :class:`CircuitBreaker` read with the engine's clock."""

    #: seen by this process only
    shared = False

    def __init__(self, cfg: BreakerConfig, now: Callable[[], float]) -> None:
        self._now = now
        self.core = CircuitBreaker(
            failure_rate_threshold=cfg.failure_rate_threshold,
            window_s=cfg.window_s,
            minimum_calls=cfg.minimum_calls,
            open_s=cfg.open_s,
            half_open_probes=cfg.half_open_probes,
            slow_call_s=cfg.slow_call_s,
        )

    async def allow(self) -> Permit:
        now = self._now()
        if self.core.allow(now):
            return Permit(True, probe=self.core.state(now) is BreakerState.HALF_OPEN)
        return Permit(False, retry_after=self.core.retry_after(now))

    async def record(self, permit: Permit, ok: bool, duration_s: float) -> None:
        now = self._now()
        if not permit.probe and self.core.state(now) is BreakerState.HALF_OPEN:
            return  # allowed before the breaker opened: not a probe's outcome
        self.core.record(ok, duration_s, now)

    async def release(self, permit: Permit) -> None:
        self.core.release(self._now())

    def force_open(self, hold_s: float | None = None) -> Awaitable[None]:
        self.core.force_open(self._now(), hold_s=hold_s)
        return DONE

    def force_close(self) -> Awaitable[None]:
        self.core.force_close(self._now())
        return DONE

    def known_state(self) -> BreakerState:
        return self.core.state(self._now())

    def drain_transitions(self) -> list[Transition]:
        return self.core.drain_transitions()
