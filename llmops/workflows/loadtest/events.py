"""Progress events of a load test, for a live display (the CLI) or a recorder (tests).

They are emitted per level and a few times a second while a level runs, never per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from llmops.workflows.loadtest.metrics import LevelResult

__all__ = ["LevelFinished", "LevelProgress", "LevelStarted", "LoadtestEvent", "LoadtestObserver"]


@dataclass(frozen=True, slots=True)
class LevelStarted:
    """A level begins: ``planned`` measured requests (or ``duration_s``) after ``warmup``."""

    index: int
    load: float
    mode: str
    planned: int | None
    duration_s: float | None
    warmup: int

    kind = "level_started"


@dataclass(frozen=True, slots=True)
class LevelProgress:
    """How a running level is doing (measured requests only; ``warming`` during warm-up)."""

    index: int
    load: float
    done: int
    successes: int
    elapsed_s: float
    p99_s: float | None
    errors: dict[str, int] = field(default_factory=dict)
    warming: bool = False

    kind = "level_progress"


@dataclass(frozen=True, slots=True)
class LevelFinished:
    """A level ended; its full result."""

    index: int
    result: LevelResult

    kind = "level_finished"


LoadtestEvent = LevelStarted | LevelProgress | LevelFinished
LoadtestObserver = Callable[[LoadtestEvent], None]
