"""What the eval history chart shows, computed from the runs (no drawing here).

:func:`history_chart` gives one point per run (oldest first), the pooled pass rate of the
trailing window with its Wilson interval, the runs that fall below that band and the runs where
the reported model changed. The HTML reporter draws it (``llmops.reporters.charts``) with one
slot per run, so that runs minutes apart stay apart; tests check the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from llmops.stats.drift import pass_rate
from llmops.workflows.evals.records import EvalRun

__all__ = ["HistoryChart", "history_chart", "rolling_band", "run_labels"]

_DAY = 86400.0


@dataclass(frozen=True, slots=True)
class HistoryChart:
    """The pass-rate history: every tuple holds one value per run, oldest first."""

    title: str
    #: when each run started (Unix seconds)
    started_at: tuple[float, ...]
    pass_pct: tuple[float, ...]
    #: pooled pass rate of the trailing window ending at each run, and its 95% Wilson interval
    rolling_pct: tuple[float, ...]
    band_low_pct: tuple[float, ...]
    band_high_pct: tuple[float, ...]
    #: runs whose own pass rate is below the window's interval
    below_band: tuple[bool, ...]
    #: (index of the first run with the new model, the model it reported)
    model_changes: tuple[tuple[int, str], ...]
    #: each run's start as a tick label (see :func:`run_labels`), and the time axis' name
    labels: tuple[str, ...]
    time_label: str


def rolling_band(runs: Sequence[EvalRun], window_s: float) -> list[tuple[float, float, float]]:
    """For each run: the pooled pass rate of the runs in the trailing window (itself included)
    and its Wilson interval, as (rate, low, high)."""
    out: list[tuple[float, float, float]] = []
    for run in runs:
        inside = [r for r in runs if run.started_at - window_s < r.started_at <= run.started_at]
        pr = pass_rate(sum(r.passed for r in inside), sum(r.total for r in inside))
        out.append((pr.rate, pr.low, pr.high))
    return out


def run_labels(started_at: Sequence[float]) -> tuple[tuple[str, ...], str]:
    """Tick labels for runs started at ``started_at`` (sorted Unix seconds), and the axis name.

    The shortest UTC format that tells apart runs that started at different times (to the
    second): ``HH:MM`` within a day (the date goes into the axis name), ``MM-DD`` and finer
    within the year, ``YYYY-MM-DD`` and finer beyond.
    """
    if not started_at:
        return (), "run start (UTC), one slot per run"
    first = datetime.fromtimestamp(started_at[0], tz=timezone.utc)
    span = started_at[-1] - started_at[0]
    if span < _DAY:
        formats = ["%H:%M", "%H:%M:%S"]
        name = f"run start, {first:%Y-%m-%d} (UTC), one slot per run"
    else:
        day = "%m-%d" if span < 300 * _DAY else "%Y-%m-%d"
        formats = [day, f"{day} %H:%M", f"{day} %H:%M:%S"]
        name = "run start (UTC), one slot per run"
    distinct = len({int(t) for t in started_at})
    for fmt in formats:
        labels = tuple(datetime.fromtimestamp(t, tz=timezone.utc).strftime(fmt) for t in started_at)
        if len(set(labels)) >= distinct:
            break
    return labels, name


def history_chart(runs: Sequence[EvalRun], *, window_s: float, title: str = "") -> HistoryChart:
    """The chart data of ``runs`` (any order; sorted by start time), an empty chart for none."""
    ordered = sorted(runs, key=lambda r: r.started_at)
    band = rolling_band(ordered, window_s)
    changes: list[tuple[int, str]] = []
    previous = ordered[0].model_reported if ordered else None
    for i, run in enumerate(ordered):
        model = run.model_reported
        if model and previous and model != previous:
            changes.append((i, model))
        previous = model or previous
    labels, time_label = run_labels([r.started_at for r in ordered])
    return HistoryChart(
        title=title or (f"{ordered[-1].suite}: pass rate per run" if ordered else ""),
        started_at=tuple(r.started_at for r in ordered),
        pass_pct=tuple(r.pass_rate * 100 for r in ordered),
        rolling_pct=tuple(b[0] * 100 for b in band),
        band_low_pct=tuple(b[1] * 100 for b in band),
        band_high_pct=tuple(b[2] * 100 for b in band),
        below_band=tuple(r.pass_rate < b[1] for r, b in zip(ordered, band, strict=True)),
        model_changes=tuple(changes),
        labels=labels,
        time_label=time_label,
    )
