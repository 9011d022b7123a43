"""The sans-I/O reliability core: decisions from plain numbers.

Nothing here reads the clock, sleeps, touches the network or files: every function that needs time
takes ``now`` (monotonic seconds) and returns a decision; randomness comes from an injected
:class:`random.Random`. The engine drives these objects with real or virtual time.

- :mod:`~llmops.core.ratelimit`: :class:`TokenBucket`, :class:`RateLimiter` (RPM + TPM together)
- :mod:`~llmops.core.retry`: :func:`backoff_delay`, :func:`next_retry_delay`, :class:`RetryPolicy`
- :mod:`~llmops.core.budget`: :class:`RetryBudget`
- :mod:`~llmops.core.breaker`: :class:`CircuitBreaker`, :class:`BreakerState`
- :mod:`~llmops.core.window`: :class:`SlidingCounts`, the bounded time-bucketed counter they share
- :mod:`~llmops.core.textprofile`: the text measures and the token estimate (:func:`estimate_tokens`)

The statistics (intervals, paired tests, drift, knee) live in :mod:`llmops.stats`.

The names above are loaded on first use (PEP 562): importing one module of the package, such as
the text measures the log scanner uses, does not load the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._lazy import lazy_exports

if TYPE_CHECKING:
    from llmops.core.breaker import BreakerState, CircuitBreaker
    from llmops.core.budget import RetryBudget
    from llmops.core.ratelimit import RateLimiter, TokenBucket
    from llmops.core.retry import RetryPolicy, backoff_delay, next_retry_delay
    from llmops.core.window import SlidingCounts

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "RateLimiter",
    "RetryBudget",
    "RetryPolicy",
    "SlidingCounts",
    "TokenBucket",
    "backoff_delay",
    "next_retry_delay",
]

#: where each public name is defined
_HOME = {
    "BreakerState": ".breaker",
    "CircuitBreaker": ".breaker",
    "RateLimiter": ".ratelimit",
    "RetryBudget": ".budget",
    "RetryPolicy": ".retry",
    "SlidingCounts": ".window",
    "TokenBucket": ".ratelimit",
    "backoff_delay": ".retry",
    "next_retry_delay": ".retry",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
