"""Continuously refilling rate limits: a token bucket, and RPM + TPM admitted together.

A bucket refills at ``limit / 60`` per second all the time, rather than resetting every 60 s:
a window reset wastes throughput after a quiet spell and lets two full bursts through around
each window edge.

Two knobs shape a limit (:func:`bucket_shape`): ``burst_s``, how many seconds' worth of the
budget may go at once (the bucket's capacity), and ``headroom``, the fraction of the token limit
kept unused (new requests stop within it). In any window of ``w`` seconds a bucket admits at
most ``capacity + refill_per_s * w``.
"""

from __future__ import annotations

import math

#: Slack for float rounding: after waiting exactly ``wait_time`` the bucket must admit.
_EPSILON = 1e-9


def bucket_shape(per_minute: float, burst_s: float, headroom: float = 0.0) -> tuple[float, float]:
    """``(capacity, refill_per_s)`` of a bucket for a per-minute limit.

    The refill is ``per_minute * (1 - headroom) / 60`` per second; the capacity holds
    ``burst_s`` seconds of it, never less than one unit (a request must fit).
    """
    if not per_minute > 0:
        raise ValueError(f"per_minute must be > 0, got {per_minute!r}")
    if not 0 < burst_s <= 60:
        raise ValueError(f"burst_s must be in (0, 60], got {burst_s!r}")
    if not 0 <= headroom < 1:
        raise ValueError(f"headroom must be in [0, 1), got {headroom!r}")
    budget = per_minute * (1.0 - headroom)
    return max(1.0, budget * burst_s / 60.0), budget / 60.0


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

    Each limit is a :class:`TokenBucket` shaped by :func:`bucket_shape`: it holds ``burst_s``
    seconds' worth (by default a full minute's) and refills at ``limit / 60`` per second, less
    ``headroom`` for the token limit. ``None`` means unlimited. The provider's remaining-tokens
    header is believed less the headroom, so new requests stop within it of the real limit.

    The token cost of a call is reserved up front (estimated input plus max output tokens) with
    :meth:`try_acquire` and corrected with :meth:`reconcile` once the response reports usage.
    """

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        now: float,
        *,
        burst_s: float = 60.0,
        headroom: float = 0.0,
    ) -> None:
        self.burst_s = burst_s
        self.headroom = headroom
        self.tokens_per_minute = tokens_per_minute
        self.requests = self._bucket(requests_per_minute, 0.0, now)
        self.tokens = self._bucket(tokens_per_minute, headroom, now)
        self._paused_until = -math.inf

    def _bucket(self, per_minute: float | None, headroom: float, now: float) -> TokenBucket | None:
        if per_minute is None:
            return None
        capacity, refill = bucket_shape(per_minute, self.burst_s, headroom)
        return TokenBucket(capacity, refill, now)

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
            reserve = self.headroom * (self.tokens_per_minute or 0.0)
            self.tokens.clamp(tokens_remaining - reserve, now)

    def adopt_limits(
        self, requests_per_minute: int | None, tokens_per_minute: int | None, now: float
    ) -> None:
        """Take the provider's advertised limits for any limit we were not configured with.

        Without a configured limit the engine would only learn of the limit through 429s and
        retry in herds; with the advertised one it paces calls. Configured limits are kept.
        """
        if self.requests is None and requests_per_minute:
            self.requests = self._bucket(requests_per_minute, 0.0, now)
        if self.tokens is None and tokens_per_minute:
            self.tokens_per_minute = tokens_per_minute
            self.tokens = self._bucket(tokens_per_minute, self.headroom, now)

    def pause_until(self, t: float) -> None:
        """Admit nothing before ``t`` (after a 429 with Retry-After). A later pause wins."""
        self._paused_until = max(self._paused_until, t)
