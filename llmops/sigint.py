"""SIGINT (Ctrl-C) arrangements for the time a block runs: one place for the commands that
start worker processes or turn the first Ctrl-C into "stop and report"."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import anyio

__all__ = ["cancel_when_set", "sigint_handled", "sigint_ignored"]

Handler = Callable[[int, Any], Any] | int | signal.Handlers | None


@contextlib.contextmanager
def sigint_handled(handler: Handler) -> Iterator[None]:
    """While the block runs, SIGINT goes to ``handler``; the previous handler comes back after.
    Outside the main thread (test runners, embedding code) signals cannot be arranged and the
    block simply runs."""
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def sigint_ignored() -> contextlib.AbstractContextManager[None]:
    """SIGINT ignored while the block runs. Worker processes started inside inherit that from
    their first instruction (Python installs its KeyboardInterrupt handler only over the
    default), so Ctrl-C at a terminal — which reaches the whole process group — cannot kill
    one with a traceback while it starts: only the parent decides what it means."""
    return sigint_handled(signal.SIG_IGN)


async def cancel_when_set(stop: anyio.Event, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once ``stop`` is set (the first Ctrl-C's "stop and report")."""
    await stop.wait()
    scope.cancel()
