"""What the load-test chart shows, computed from a finished ladder (no drawing here).

:func:`load_curve` turns a :class:`~llmops.workflows.loadtest.LoadtestResult` into a
:class:`LoadCurve`: per level, the success rate, the p99 latency and the answers per second,
and where the knee is. The HTML reporter draws it (``llmops.reporters.charts``); tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmops.workflows.loadtest.loadtest import LoadtestResult

__all__ = ["LoadCurve", "load_curve"]


@dataclass(frozen=True, slots=True)
class LoadCurve:
    """The load test's curves, one value per level that ran, in ladder order."""

    #: the x axis' name: concurrent clients (closed loop) or offered requests/s (open loop)
    load_label: str
    loads: tuple[float, ...]
    success_pct: tuple[float, ...]
    #: ``None`` where a level has no latency (nothing answered)
    p99_ms: tuple[float | None, ...]
    throughput_rps: tuple[float, ...]
    #: the load at the knee, or ``None`` when the ladder found none
    knee_load: float | None = None
    #: the knee's label, e.g. ``"knee: 8 (p99)"``
    knee_label: str | None = None


def load_curve(result: LoadtestResult) -> LoadCurve:
    """The chart data of ``result``'s levels and verdict."""
    levels = result.levels
    knee = result.verdict.knee
    return LoadCurve(
        load_label="offered load (requests/s)" if result.mode == "open" else "concurrent clients",
        loads=tuple(lv.load for lv in levels),
        success_pct=tuple(lv.success_rate * 100 for lv in levels),
        p99_ms=tuple(lv.latency_ms["p99"] if lv.latency_ms else None for lv in levels),
        throughput_rps=tuple(lv.throughput_rps for lv in levels),
        knee_load=None if knee is None else knee.load,
        knee_label=None if knee is None else f"knee: {knee.load:g} ({knee.signal})",
    )
