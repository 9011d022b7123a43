"""Feature priorities at a saturated limiter: while a higher-priority call waits for the limiter,
lower-priority calls do not take its capacity.

Ranks: 0 (high) goes before 1 (normal) before 2 (low). A call waiting for the limiter registers
its rank (:meth:`Priorities.waiting`); a call about to ask the limiter first waits its turn
(:meth:`Priorities.turn`) until no higher rank is waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio

__all__ = ["Priorities"]


class Priorities:
    """Who waits at one limiter, by rank."""

    def __init__(self, ranks: int = 3) -> None:
        self._waiting = [0] * ranks
        self._changed: anyio.Event | None = None  # made in the event loop, when first needed

    def ahead_of(self, rank: int) -> int:
        """How many calls of a higher priority than ``rank`` wait for the limiter."""
        return sum(self._waiting[:rank])

    async def turn(self, rank: int) -> None:
        """Return once no call of a higher priority waits (at once, without a checkpoint, when
        none does: a call whose turn it is asks the limiter before anyone else runs)."""
        while self.ahead_of(rank):
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()

    @contextmanager
    def waiting(self, rank: int) -> Iterator[None]:
        """Register a call of ``rank`` waiting for the limiter for the ``with`` block."""
        self._waiting[rank] += 1
        try:
            yield
        finally:
            self._waiting[rank] -= 1
            if not self._waiting[rank] and self._changed is not None:
                self._changed.set()
                self._changed = None
