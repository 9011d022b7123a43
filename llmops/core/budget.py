"""A retry budget: retries limited to a fraction of recent requests, plus a small floor."""

from __future__ import annotations

from llmops.core.window import SlidingCounts

_REQUESTS = 0
_RETRIES = 1


class RetryBudget:
    """Caps retries so an outage cannot multiply the load on a struggling provider.

    Modelled on Finagle's ``RetryBudget`` and gRPC's retry throttling: over a sliding window of
    ``window_s`` seconds, a retry is allowed while

        retries_in_window < ratio * requests_in_window + min_retries_per_s * window_s

    so at most ``ratio`` extra load from retries in steady state, and a floor of
    ``min_retries_per_s`` so a quiet client can still retry. Counts expire with the window
    (kept in ``buckets`` time buckets: memory is bounded; see :class:`SlidingCounts`).

    Call :meth:`record_request` for every first attempt and :meth:`try_spend` before every retry.
    """

    def __init__(
        self,
        ratio: float = 0.2,
        min_retries_per_s: float = 1.0,
        window_s: float = 10.0,
        *,
        buckets: int = 10,
    ) -> None:
        if ratio < 0:
            raise ValueError(f"ratio must be >= 0, got {ratio!r}")
        if min_retries_per_s < 0:
            raise ValueError(f"min_retries_per_s must be >= 0, got {min_retries_per_s!r}")
        self.ratio = ratio
        self.min_retries_per_s = min_retries_per_s
        self.window_s = window_s
        self._counts = SlidingCounts(window_s, buckets=buckets, kinds=2)

    def record_request(self, now: float) -> None:
        """Count a first attempt (a retry is not a request here)."""
        self._counts.add(now, _REQUESTS)

    def try_spend(self, now: float) -> bool:
        """Spend one retry if the budget allows it: ``True`` and counted, else ``False``."""
        allowance = (
            self.ratio * self.requests_in_window(now) + self.min_retries_per_s * self.window_s
        )
        if self.retries_in_window(now) < allowance:
            self._counts.add(now, _RETRIES)
            return True
        return False

    def retries_in_window(self, now: float) -> int:
        """Retries spent in the window ending at ``now``."""
        return self._counts.total(now, _RETRIES)

    def requests_in_window(self, now: float) -> int:
        """First attempts recorded in the window ending at ``now``."""
        return self._counts.total(now, _REQUESTS)
