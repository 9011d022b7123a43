"""Feature priorities where calls wait: while a higher-priority call waits for a resource (an
upstream's limiter, the engine's concurrency slots), lower-priority calls do not take it.

Ranks: 0 (high) goes before 1 (normal) before 2 (low). A call waiting for the resource registers
its rank (:meth:`Priorities.waiting`); a call about to ask for it first waits its turn
(:meth:`Priorities.turn`) until no higher rank is waiting.

:meth:`Priorities.take` is the whole wait for a resource taken at once or not at all (a free
concurrency slot): calls line up by rank, first come first served within a rank, and only the
call whose turn it is (the first of the highest rank waiting) is woken to try again when the
resource may have come free (:meth:`Priorities.notify`), so a release wakes one call, not all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio

__all__ = ["Priorities"]


class Priorities:
    """Who waits for one resource, by rank."""

    def __init__(self, ranks: int = 3) -> None:
        self._waiting = [0] * ranks
        self._changed: anyio.Event | None = None  # made in the event loop, when first needed
        #: the calls lined up in :meth:`take`, per rank, each a one-item list holding the event
        #: that wakes it
        self._lines: list[deque[list[anyio.Event]]] = [deque() for _ in range(ranks)]

    def ahead_of(self, rank: int) -> int:
        """How many calls of a higher priority than ``rank`` wait for the limiter."""
        return sum(self._waiting[:rank])

    async def turn(self, rank: int) -> None:
        """Return once no call of a higher priority waits (at once, without a checkpoint, when
        none does: a call whose turn it is asks the limiter before anyone else runs)."""
        while self.ahead_of(rank):
            await self._change().wait()

    async def take(self, rank: int, try_take: Callable[[], bool]) -> None:
        """Return once ``try_take()`` succeeded: at once when nobody of this or a higher rank is
        lined up and it succeeds, else in line, tried again each time it is this call's turn."""
        if not self.lined_up(rank) and try_take():
            return
        me = [anyio.Event()]
        line = self._lines[rank]
        line.append(me)
        try:
            while not (self._first() is me and try_take()):
                await me[0].wait()
                me[0] = anyio.Event()
        finally:
            line.remove(me)  # mostly the head: found at once
            self.notify()  # the next in line may go (a cancelled call passes its turn on)

    def lined_up(self, rank: int) -> bool:
        """Whether any call of ``rank`` or a higher one is lined up in :meth:`take`."""
        return any(self._lines[: rank + 1])

    def notify(self) -> None:
        """The resource may be free: wake the call whose turn it is in :meth:`take`, and every
        call waiting its :meth:`turn`."""
        first = self._first()
        if first is not None:
            first[0].set()
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _first(self) -> list[anyio.Event] | None:
        for line in self._lines:
            if line:
                return line[0]
        return None

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
