"""Counts over a sliding time window, in fixed time buckets so memory stays bounded."""

from __future__ import annotations

import math


class SlidingCounts:
    """Counts of a few kinds of event over the last ``window_s`` seconds.

    The window is split into ``buckets`` buckets of ``window_s / buckets`` seconds each; an event
    is counted in the bucket its ``now`` falls in, and a bucket leaves the window as a whole. So the
    window really covers the current (partly elapsed) bucket plus the ``buckets - 1`` before it:
    between ``window_s * (1 - 1/buckets)`` and ``window_s`` of history. Memory is
    ``buckets * kinds`` integers whatever the traffic.

    Time must not run backwards by more than a bucket; counts stamped in the future of a later
    ``now`` are ignored rather than trusted.
    """

    def __init__(self, window_s: float, *, buckets: int = 10, kinds: int = 1) -> None:
        if not window_s > 0:
            raise ValueError(f"window_s must be > 0, got {window_s!r}")
        if buckets < 1:
            raise ValueError(f"buckets must be >= 1, got {buckets!r}")
        if kinds < 1:
            raise ValueError(f"kinds must be >= 1, got {kinds!r}")
        self.window_s = float(window_s)
        self.buckets = buckets
        self._width = self.window_s / buckets
        self._epochs: list[int | None] = [None] * buckets
        self._counts: list[list[int]] = [[0] * buckets for _ in range(kinds)]

    def _epoch(self, now: float) -> int:
        return math.floor(now / self._width)

    def add(self, now: float, kind: int = 0, n: int = 1) -> None:
        """Count ``n`` events of ``kind`` at time ``now``."""
        epoch = self._epoch(now)
        slot = epoch % self.buckets
        if self._epochs[slot] != epoch:
            self._epochs[slot] = epoch
            for counts in self._counts:
                counts[slot] = 0
        self._counts[kind][slot] += n

    def total(self, now: float, kind: int = 0) -> int:
        """Events of ``kind`` counted in the window ending at ``now``."""
        epoch = self._epoch(now)
        oldest = epoch - self.buckets
        counts = self._counts[kind]
        return sum(
            counts[slot]
            for slot, stamp in enumerate(self._epochs)
            if stamp is not None and oldest < stamp <= epoch
        )

    def clear(self) -> None:
        """Forget every count."""
        self._epochs = [None] * self.buckets
        for counts in self._counts:
            counts[:] = [0] * self.buckets
