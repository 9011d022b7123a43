"""``--every 24h``: run a job on a schedule, with jitter, never two at once, through failures.

The lock is an advisory ``flock`` on a file next to the history: a second scheduler (another
process, another CI job on the same runner) skips its turn instead of running concurrently.
The kernel drops the lock when its holder dies, so a crashed run never blocks the next one.
Time and sleeping come from an injected clock, so tests run the schedule on virtual time.
"""

from __future__ import annotations

import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from llmops.engine.clock import Clock


class LockHeld(Exception):
    """Another run holds the lock."""


class RunLock:
    """A non-blocking exclusive lock on ``path`` (``with RunLock(p):`` raises :class:`LockHeld`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def __enter__(self) -> RunLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise LockHeld(str(self.path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            import fcntl

            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@dataclass(frozen=True, slots=True)
class Tick:
    """What happened at one scheduled time: ``outcome`` is ``ran``, ``failed`` or ``skipped``."""

    at: float
    outcome: str
    exit_code: int | None = None
    detail: str = ""


async def run_every(
    job: Callable[[], Awaitable[int]],
    every_s: float,
    *,
    clock: Clock,
    lock_path: str | Path,
    jitter_s: float = 0.0,
    rng: random.Random | None = None,
    max_runs: int | None = None,
    on_tick: Callable[[Tick], None] | None = None,
) -> list[Tick]:
    """Run ``job`` now and then every ``every_s`` (+ uniform ``[0, jitter_s]``), ``max_runs`` times
    (forever when None). A job that raises is recorded as ``failed`` and the schedule goes on;
    a tick whose lock is held by another run is ``skipped``. Missed ticks are not made up.
    """
    rng = rng or random.Random()
    ticks: list[Tick] = []
    planned = clock.now()
    while max_runs is None or len(ticks) < max_runs:
        at = clock.now()
        try:
            with RunLock(lock_path):
                try:
                    code = await job()
                    tick = Tick(at, "ran", code)
                except Exception as exc:
                    tick = Tick(at, "failed", None, f"{type(exc).__name__}: {exc}")
        except LockHeld:
            tick = Tick(at, "skipped", None, "another run holds the lock")
        ticks.append(tick)
        if on_tick is not None:
            on_tick(tick)
        if max_runs is not None and len(ticks) >= max_runs:
            break
        planned += every_s
        while planned <= clock.now():
            planned += every_s
        await clock.sleep(planned + rng.uniform(0.0, jitter_s) - clock.now())
    return ticks
