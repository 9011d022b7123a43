"""Continuously refilling rate limits: a token bucket, and RPM + TPM admitted together.

A bucket refills at ``limit / 60`` per second all the time, rather than resetting every 60 s:
a window reset wastes throughput after a quiet spell and lets two full bursts through around
each window edge.
"""

from __future__ import annotations

import math

#: Slack for float rounding: after waiting exactly ``wait_time`` the bucket must admit.
_EPSILON = 1e-9


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled continuously at ``refill_per_s``.

    It starts full at ``now``. The level may go negative through :meth:`take` (a charge for
    usage that turned out larger than reserved); the bucket then refills from below zero.
    """

    def __init__(self, capacity: float, refill_per_s: float, now: float) -> None:
        if not capacity > 0:
            raise ValueError(f"capacity must be > 0, got {capacity!r}")
        if not refill_per_s >= 0:
            raise ValueError(f"refill_per_s must be >= 0, got {refill_per_s!r}")
        self.capacity = float(capacity)
        self.refill_per_s = float(refill_per_s)
        self._level = self.capacity
        self._updated = now

    def _refill(self, now: float) -> None:
        # A clock that steps backwards must not drain the bucket: ignore the step.
        if now > self._updated:
            elapsed = now - self._updated
            self._level = min(self.capacity, self._level + elapsed * self.refill_per_s)
            self._updated = now

    def available(self, now: float) -> float:
        """Tokens in the bucket at ``now`` (negative after an overdraft)."""
        self._refill(now)
        return self._level

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` tokens are available: 0.0 if they are now.

        ``math.inf`` if ``amount`` exceeds the capacity (it never fits) or nothing refills.
        """
        if amount > self.capacity + _EPSILON:
            return math.inf
        self._refill(now)
        deficit = amount - self._level
        if deficit <= _EPSILON:
            return 0.0
        if self.refill_per_s == 0:
            return math.inf
        return deficit / self.refill_per_s

    def take(self, amount: float, now: float) -> None:
        """Remove ``amount`` tokens unconditionally; the level may go negative."""
        self._refill(now)
        self._level -= amount

    def give(self, amount: float, now: float) -> None:
        """Refund ``amount`` tokens, never above the capacity."""
        self._refill(now)
        self._level = min(self.capacity, self._level + amount)

    def clamp(self, remaining: float, now: float) -> None:
        """Lower the level to ``remaining`` if it is higher: believe the provider's count."""
        self._refill(now)
        if remaining < self._level:
            self._level = float(remaining)


class RateLimiter:
    """Requests per minute and tokens per minute, admitted together: all or nothing.

    Each limit is a :class:`TokenBucket` holding one minute's worth (so a full minute's burst
    may go at once) and refilling at ``limit / 60`` per second. ``None`` means unlimited.

    The token cost of a call is reserved up front (estimated input plus max output tokens) with
    :meth:`try_acquire` and corrected with :meth:`reconcile` once the response reports usage.
    """

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        now: float,
    ) -> None:
        self.requests: TokenBucket | None = (
            None
            if requests_per_minute is None
            else TokenBucket(requests_per_minute, requests_per_minute / 60.0, now)
        )
        self.tokens: TokenBucket | None = (
            None
            if tokens_per_minute is None
            else TokenBucket(tokens_per_minute, tokens_per_minute / 60.0, now)
        )
        self._paused_until = -math.inf

    @property
    def paused_until(self) -> float:
        """The time before which nothing is admitted (``-inf`` when never paused)."""
        return self._paused_until

    @staticmethod
    def _wait(bucket: TokenBucket | None, amount: float, now: float) -> float:
        if bucket is None:
            return 0.0
        # A cost larger than the whole bucket would wait forever: wait for a full bucket instead.
        return bucket.wait_time(min(amount, bucket.capacity), now)

    def try_acquire(self, tokens: int, now: float) -> float:
        """Admit one request costing ``tokens`` tokens, or say how long to wait.

        If both buckets have room (and no pause is in force), takes one request and ``tokens``
        tokens and returns ``0.0``. Otherwise takes nothing from either bucket and returns the
        seconds until both would have room and any pause has ended (the largest of the waits);
        the caller sleeps that long and asks again.

        A request for more tokens than the TPM capacity is admitted once the token bucket is
        full (otherwise it would wait forever); the bucket then goes negative by the excess and
        later requests wait while it refills, so the long-run rate still holds.
        """
        wait = max(
            self._paused_until - now,
            self._wait(self.requests, 1, now),
            self._wait(self.tokens, tokens, now),
            0.0,
        )
        if wait > 0:
            return wait
        if self.requests is not None:
            self.requests.take(1, now)
        if self.tokens is not None:
            self.tokens.take(tokens, now)
        return 0.0

    def release(self, tokens: int, now: float) -> None:
        """Undo an admission whose request was never sent (refund the request and its tokens)."""
        if self.requests is not None:
            self.requests.give(1, now)
        if self.tokens is not None:
            self.tokens.give(tokens, now)

    def reconcile(self, reserved: int, actual: int, now: float) -> None:
        """Correct a reservation once usage is known: refund the surplus or charge the shortfall."""
        if self.tokens is None:
            return
        if actual < reserved:
            self.tokens.give(reserved - actual, now)
        elif actual > reserved:
            self.tokens.take(actual - reserved, now)

    def observe_remaining(
        self,
        requests_remaining: int | None,
        tokens_remaining: int | None,
        now: float,
    ) -> None:
        """Lower our counts to the provider's rate-limit headers where they say less remains."""
        if self.requests is not None and requests_remaining is not None:
            self.requests.clamp(requests_remaining, now)
        if self.tokens is not None and tokens_remaining is not None:
            self.tokens.clamp(tokens_remaining, now)

    def adopt_limits(
        self, requests_per_minute: int | None, tokens_per_minute: int | None, now: float
    ) -> None:
        """Take the provider's advertised limits for any limit we were not configured with.

        Without a configured limit the engine would only learn of the limit through 429s and
        retry in herds; with the advertised one it paces calls. Configured limits are kept.
        """
        if self.requests is None and requests_per_minute:
            self.requests = TokenBucket(requests_per_minute, requests_per_minute / 60.0, now)
        if self.tokens is None and tokens_per_minute:
            self.tokens = TokenBucket(tokens_per_minute, tokens_per_minute / 60.0, now)

    def pause_until(self, t: float) -> None:
        """Admit nothing before ``t`` (after a 429 with Retry-After). A later pause wins."""
        self._paused_until = max(self._paused_until, t)
