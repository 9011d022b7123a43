"""The engine's rate limiter behind one small interface, and its in-process implementation.

A :class:`Limiter` admits one request with its token reservation at a time (RPM and TPM together,
all or nothing), corrects the reservation once usage is known, and takes what the provider says
(a ``Retry-After`` pause, its rate-limit headers). :class:`LocalLimiter` wraps the sans-I/O
:class:`~llmops.core.ratelimit.RateLimiter` for one process; :mod:`llmops.stores.redis_limiter`
shares one limit among every instance of a fleet. Both shape their buckets with
:func:`~llmops.core.ratelimit.bucket_shape` from ``limits.burst`` and ``limits.headroom``, so the
two behave alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from llmops.config import LimitsConfig
from llmops.core.ratelimit import RateLimiter
from llmops.types import RateLimitInfo

__all__ = ["Limiter", "LocalLimiter"]


class Limiter(Protocol):
    """Admission against a provider's requests- and tokens-per-minute limits."""

    #: what an admission is waiting on, for error messages ("rate limit", "shared state …")
    waiting_on: str

    async def acquire(self, tokens: int) -> float:
        """Admit one request reserving ``tokens``: ``0.0``, or the seconds to wait and ask again."""
        ...

    async def reconcile(self, reserved: int, actual: int) -> None:
        """Correct a reservation with the usage reported (``actual=0`` refunds it whole)."""
        ...

    async def release(self, tokens: int) -> None:
        """Undo an admission whose request was never sent."""
        ...

    async def pause(self, seconds: float) -> None:
        """Admit nothing for ``seconds`` (a 429's ``Retry-After``); a later pause wins."""
        ...

    async def observe(self, info: RateLimitInfo) -> None:
        """Believe the provider's rate-limit headers: adopt unset limits, clamp to what remains."""
        ...


class LocalLimiter:
    """This process's limiter: the core :class:`RateLimiter` read with the engine's clock."""

    waiting_on = "rate limit"

    def __init__(
        self, limits: LimitsConfig, now: Callable[[], float], *, share: float = 1.0
    ) -> None:
        self._now = now
        rpm, tpm = limits.requests_per_minute, limits.tokens_per_minute
        self.core = RateLimiter(
            None if rpm is None else rpm * share,
            None if tpm is None else tpm * share,
            now(),
            burst_s=limits.burst,
            headroom=limits.headroom,
        )

    async def acquire(self, tokens: int) -> float:
        return self.core.try_acquire(tokens, self._now())

    async def reconcile(self, reserved: int, actual: int) -> None:
        self.core.reconcile(reserved, actual, self._now())

    async def release(self, tokens: int) -> None:
        self.core.release(tokens, self._now())

    async def pause(self, seconds: float) -> None:
        self.core.pause_until(self._now() + seconds)

    async def observe(self, info: RateLimitInfo) -> None:
        now = self._now()
        self.core.adopt_limits(info.requests_limit, info.tokens_limit, now)
        self.core.observe_remaining(info.requests_remaining, info.tokens_remaining, now)
