"""Feature priorities where calls wait: while a higher-priority call waits for a resource (an
upstream's limiter, the engine's concurrency slots), lower-priority calls do not take it.

Ranks: 0 (high) goes before 1 (normal) before 2 (low). A call waiting for the resource registers
its rank (:meth:`Priorities.waiting`); a call about to ask for it first waits its turn
(:meth:`Priorities.turn`) until no higher rank is waiting. :meth:`Priorities.take` is the whole
wait for a resource that is taken without waiting or not at all (a free slot), asked again each
time it may have changed (:meth:`Priorities.notify`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
            await self._change().wait()

    async def take(self, rank: int, try_take: Callable[[], bool]) -> None:
        """Return once ``try_take()`` succeeded, asked only while no higher rank waits: at once
        when it can, else in line at ``rank``, again after each change."""
        if not self.ahead_of(rank) and try_take():
            return
        with self.waiting(rank):
            while not (not self.ahead_of(rank) and try_take()):
                await self._change().wait()

    def notify(self) -> None:
        """Wake every waiting call to look again (the resource may be free now)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _change(self) -> anyio.Event:
        if self._changed is None:
            self._changed = anyio.Event()
        return self._changed

    @contextmanager
    def waiting(self, rank: int) -> Iterator[None]:
        """Register a call of ``rank`` waiting for the limiter for the ``with`` block."""
        self._waiting[rank] += 1
        try:
            yield
        finally:
            self._waiting[rank] -= 1
            if not self._waiting[rank]:
                self.notify()
