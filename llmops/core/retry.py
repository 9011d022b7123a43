"""The retry schedule: exponential backoff with full jitter, or the server's own wait."""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Past this many doublings the exponential term is far beyond any cap; stop growing it.
_MAX_DOUBLINGS = 1000


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first attempt).

    Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform draw from
    ``[0, min(cap_s, base_s * 2 ** (attempt - 1))]``, so clients that failed together spread out.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt!r}")
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt - 1, _MAX_DOUBLINGS))
    return rng.uniform(0.0, ceiling)


def next_retry_delay(
    attempt: int,
    *,
    server_delay_s: float | None,
    base_s: float,
    cap_s: float,
    remaining_s: float | None,
    rng: random.Random,
    jitter_s: float = 0.1,
) -> float | None:
    """Seconds to wait before retrying after failed attempt ``attempt``, or ``None`` to give up.

    If the server said how long to wait (``retry-after-ms`` / ``retry-after``, already parsed to
    seconds), that wait plus a uniform jitter in ``[0, jitter_s]`` so clients don't wake together;
    the server's wait is not capped by ``cap_s``. Otherwise :func:`backoff_delay`.

    ``None`` when the delay would not fit in ``remaining_s``, the caller's remaining deadline
    (a delay equal to it leaves no time for the attempt). ``remaining_s=None`` means no deadline.
    """
    if server_delay_s is not None:
        delay = max(0.0, server_delay_s) + rng.uniform(0.0, jitter_s)
    else:
        delay = backoff_delay(attempt, base_s, cap_s, rng)
    if remaining_s is not None and delay >= remaining_s:
        return None
    return delay


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts every attempt including the first (4 = one call and up to three
    retries); ``base_s`` and ``cap_s`` shape :func:`backoff_delay`.
    """

    max_attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 20.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts!r}")
        if self.base_s < 0 or self.cap_s < 0:
            raise ValueError(f"base_s and cap_s must be >= 0, got {self.base_s!r}, {self.cap_s!r}")

    def may_retry(self, attempt: int) -> bool:
        """Whether another attempt is allowed after attempt number ``attempt`` failed."""
        return attempt < self.max_attempts

    def delay(
        self,
        attempt: int,
        *,
        server_delay_s: float | None,
        remaining_s: float | None,
        rng: random.Random,
        jitter_s: float = 0.1,
    ) -> float | None:
        """:func:`next_retry_delay` with this policy's backoff, or ``None`` when out of attempts."""
        if not self.may_retry(attempt):
            return None
        return next_retry_delay(
            attempt,
            server_delay_s=server_delay_s,
            base_s=self.base_s,
            cap_s=self.cap_s,
            remaining_s=remaining_s,
            rng=rng,
            jitter_s=jitter_s,
        )
