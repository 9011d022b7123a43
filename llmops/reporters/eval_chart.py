"""The pass-rate history chart: each run, the rolling-average band, model changes marked.

matplotlib with the Agg backend, rendered to SVG text for inlining into the HTML report.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from llmops.stats.drift import pass_rate
from llmops.workflows.evals.records import EvalRun

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def rolling_band(runs: Sequence[EvalRun], window_s: float) -> list[tuple[float, float, float]]:
    """For each run: the pooled pass rate of the runs in the trailing window (itself included)
    and its Wilson interval, as (rate, low, high)."""
    out: list[tuple[float, float, float]] = []
    for run in runs:
        inside = [r for r in runs if run.started_at - window_s < r.started_at <= run.started_at]
        pr = pass_rate(sum(r.passed for r in inside), sum(r.total for r in inside))
        out.append((pr.rate, pr.low, pr.high))
    return out


def history_svg(runs: Sequence[EvalRun], *, window_s: float = 7 * 86400.0, title: str = "") -> str:
    """An SVG chart of ``runs`` (oldest first), or ``""`` when there are none."""
    if not runs:
        return ""
    buf = io.StringIO()
    history_figure(runs, window_s=window_s, title=title).savefig(
        buf, format="svg", bbox_inches="tight"
    )
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def history_figure(runs: Sequence[EvalRun], *, window_s: float, title: str = "") -> Figure:
    """The chart as a matplotlib figure (no pyplot state: nothing to close)."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    runs = sorted(runs, key=lambda r: r.started_at)
    xs = [
        float(mdates.date2num(datetime.fromtimestamp(r.started_at, tz=timezone.utc)))  # type: ignore[no-untyped-call]
        for r in runs
    ]
    ys = [r.pass_rate * 100 for r in runs]
    band = rolling_band(runs, window_s)
    fig = Figure(figsize=(10, 4.2), dpi=100)
    ax = fig.subplots()
    ax.fill_between(
        xs, [b[1] * 100 for b in band], [b[2] * 100 for b in band],
        color="#4c78a8", alpha=0.18, step=None, label="rolling window, 95% Wilson band",
    )  # fmt: skip
    ax.plot(xs, [b[0] * 100 for b in band], color="#4c78a8", lw=1.5, label="rolling average")
    colors = [
        "#e45756" if (r.pass_rate < b[1]) else "#222222" for r, b in zip(runs, band, strict=True)
    ]
    ax.scatter(xs, ys, c=colors, s=28, zorder=3, label="run pass rate")
    previous = runs[0].model_reported
    for x, run in zip(xs, runs, strict=True):
        model = run.model_reported
        if model and previous and model != previous:
            ax.axvline(x, color="#f58518", ls="--", lw=1.2)
            ax.annotate(
                f"model → {model}", (x, 2), rotation=90, fontsize=8, color="#f58518",
                xytext=(4, 0), textcoords="offset points", va="bottom",
            )  # fmt: skip
        previous = model or previous
    ax.set_ylim(0, 105)  # room above 100% for the markers of perfect runs
    ax.set_ylabel("pass rate (%)")
    ax.set_title(title or f"{runs[-1].suite}: pass rate per run", loc="left", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    # ticks and labels that suit any span, minutes to months: never the same label twice
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formats = ["%Y", "%b", "%d", "%H:%M", "%H:%M", "%H:%M:%S"]
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, formats=formats))  # type: ignore[no-untyped-call]
    # outside the axes, so it never covers a run or a model-change label
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
