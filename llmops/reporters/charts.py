"""The one chart path: matplotlib figures, built through the object-oriented API, inlined as SVG.

Every chart in every HTML report is drawn here from a chart-data object that the workflow
computed (:class:`~llmops.workflows.loadtest.chart.LoadCurve`,
:class:`~llmops.workflows.evals.chart.HistoryChart`,
:class:`~llmops.workflows.profile.chart.OutcomeHistogram`): this module decides how a chart
looks, never what it says. Figures are :class:`matplotlib.figure.Figure` objects made directly
(no ``pyplot``: no global figure registry, nothing to close), and :func:`svg_of` turns one into
SVG text: deterministic (a fixed hash salt per chart, no date), with a ``<title>``, ids prefixed
by the chart's id so that several charts share a page, and each series in a group whose ``id``
names it (``<chart>-<series>``).

This module imports matplotlib: the HTML reporters import it inside their ``render`` functions,
so that the command line, the terminal and the JSON reports never load matplotlib.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    MaxNLocator,
    NullLocator,
    PercentFormatter,
)

if TYPE_CHECKING:  # the chart data, each from its own workflow's package
    from llmops.workflows.evals.chart import HistoryChart
    from llmops.workflows.loadtest.chart import LoadCurve
    from llmops.workflows.profile.chart import OutcomeHistogram

__all__ = ["histograms_figure", "history_figure", "load_figure", "svg_of"]

GREEN, RED, BLUE, ORANGE, GREY = "#2e8b57", "#c0392b", "#2c6fbb", "#e69500", "#333333"
#: the ok / failed bars (blue and red stay apart for the common colour-vision deficiencies)
OK_COLOUR, FAILED_COLOUR = "#4e79a7", "#e15759"
#: longest category label drawn on a histogram's axis
MAX_LABEL_CHARS = 14
_ID = re.compile(r' id="([^"]+)"')
_REF = re.compile(r'( id="|href="#|url\(#)([^")]+)')


def svg_of(fig: Figure, chart_id: str, title: str) -> str:
    """``fig`` as an ``<svg>`` element to inline in a page: deterministic, titled, every id in
    it prefixed with ``chart_id`` (letters, digits and ``-``; unique in the page)."""
    buf = io.StringIO()
    with matplotlib.rc_context(
        {"svg.hashsalt": f"llmops-{chart_id}", "svg.id": chart_id, "svg.fonttype": "path"}
    ):
        fig.savefig(
            buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None}
        )
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib names glyphs after the font ("DejaVuSans-31"): the same id in every chart
    ours = f"{chart_id}-"
    shared = {i for i in _ID.findall(text) if i != chart_id and not i.startswith(ours)}
    text = _REF.sub(lambda m: m[1] + (ours + m[2] if m[2] in shared else m[2]), text)
    head = text.index(">") + 1
    return f"{text[:head]}\n <title>{escape(title)}</title>{text[head:]}"


def _load_axes(ax: Axes, curve: LoadCurve) -> None:
    """The x axis of a load chart: a tick at every level, log-scaled over a wide ladder."""
    xs = curve.loads
    if len(xs) > 1 and xs[0] > 0 and xs[-1] / xs[0] >= 4:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    ax.set_xlabel(curve.load_label)
    ax.grid(alpha=0.3)
    if curve.knee_load is not None:
        ax.axvline(curve.knee_load, color=ORANGE, ls="--", lw=1.5, label="knee")


def load_figure(curve: LoadCurve, chart_id: str = "loadtest") -> Figure:
    """Success rate and p99 latency against load (the knee marked), and answers/s beside it."""
    fig = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    ax, tx = fig.subplots(1, 2, width_ratios=(3, 2))
    xs = curve.loads
    (success,) = ax.plot(xs, curve.success_pct, "o-", color=GREEN, label="success rate")
    success.set_gid(f"{chart_id}-success")
    ax.set_ylim(-3, 118)  # a band above 100% for the knee's label, clear of the lines
    ax.yaxis.set_major_locator(FixedLocator([0, 20, 40, 60, 80, 100]))
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_ylabel("success rate", color=GREEN)
    _load_axes(ax, curve)
    p99_ax = ax.twinx()
    p99 = [math.nan if v is None else v for v in curve.p99_ms]
    (latency,) = p99_ax.plot(xs, p99, "s-", color=RED, label="p99 latency")
    latency.set_gid(f"{chart_id}-p99")
    top = max((v for v in p99 if not math.isnan(v)), default=1.0) or 1.0
    p99_ax.set_ylim(0, top * 1.35)  # its peak below the 100% line, under the knee's band
    p99_ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    p99_ax.set_ylabel("p99 latency (ms)", color=RED)
    ax.set_title("Success rate and p99 latency", loc="left")
    if curve.knee_load is not None and curve.knee_label:
        # inside the axes, in the top band, on the side of the knee line with more room: never
        # across the right-hand axis' numbers
        ax.autoscale_view()
        at = ax.transAxes.inverted().transform(ax.transData.transform((curve.knee_load, 0)))[0]
        right = at > 0.55
        label = ax.annotate(
            curve.knee_label, xy=(curve.knee_load, 0.985), xycoords=ax.get_xaxis_transform(),
            xytext=(-5 if right else 5, 0), textcoords="offset points",
            ha="right" if right else "left", va="top", color=ORANGE, fontweight="bold",
        )  # fmt: skip
        label.set_gid(f"{chart_id}-knee-label")
    fig.legend(
        handles=[*ax.get_legend_handles_labels()[0], latency], loc="outside upper left",
        ncols=3, fontsize=9, frameon=False,
    )  # fmt: skip
    (answers,) = tx.plot(xs, curve.throughput_rps, "o-", color=BLUE, label="answers/s")
    answers.set_gid(f"{chart_id}-throughput")
    tx.set_ylabel("answers/s")
    tx.set_ylim(bottom=0, top=max(curve.throughput_rps, default=1.0) * 1.15 or 1.0)
    _load_axes(tx, curve)
    tx.set_title("Throughput", loc="left")
    return fig


def history_figure(chart: HistoryChart, chart_id: str = "history") -> Figure:
    """The eval pass rate per run, one slot per run: the trailing window's pooled rate with its
    Wilson band, runs below the band in red, model changes marked."""
    xs = list(range(len(chart.pass_pct)))
    fig = Figure(figsize=(10, 4.2), dpi=100)
    ax = fig.subplots()
    band = ax.fill_between(
        xs, chart.band_low_pct, chart.band_high_pct, color="#4c78a8", alpha=0.18,
        label="rolling window, 95% Wilson band",
    )  # fmt: skip
    band.set_gid(f"{chart_id}-band")
    (rolling,) = ax.plot(xs, chart.rolling_pct, color="#4c78a8", lw=1.5, label="rolling average")
    rolling.set_gid(f"{chart_id}-rolling")
    colours = [RED if low else "#222222" for low in chart.below_band]
    runs = ax.scatter(xs, chart.pass_pct, c=colours, s=28, zorder=3, label="run pass rate")
    runs.set_gid(f"{chart_id}-runs")
    handles: list[Artist] = [band, rolling, runs]
    if any(chart.below_band):
        handles.append(
            Line2D([], [], ls="", marker="o", ms=5, color=RED, label="run below the band")
        )
    for index, model in chart.model_changes:
        ax.axvline(index - 0.5, color="#f58518", ls="--", lw=1.2)
        ax.annotate(
            f"model → {model}", (index - 0.5, 2), rotation=90, fontsize=8, color="#f58518",
            xytext=(4, 0), textcoords="offset points", va="bottom",
        )  # fmt: skip
    ax.set_ylim(-3, 105)  # room above 100% and below 0% for the markers of those runs
    ax.set_xlim(-0.6, max(len(xs) - 0.4, 0.6))
    ax.set_ylabel("pass rate (%)")
    ax.set_xlabel(chart.time_label)
    ax.set_title(chart.title, loc="left", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    labels = chart.labels
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: labels[int(x)] if 0 <= int(x) < len(labels) else "")
    )
    # outside the axes, so it never covers a run or a model-change label
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
    )
    return fig


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "\u2026"


def histograms_figure(hists: Sequence[OutcomeHistogram], chart_id: str = "profile") -> Figure:
    """Small multiples, two a row: per feature, requests per bin stacked ok / failed, and the
    failure rate per bin on a right-hand axis."""
    rows = max(1, math.ceil(len(hists) / 2))
    fig = Figure(figsize=(11, 3.3 * rows), dpi=100, layout="constrained")
    grid = fig.subplots(rows, 2, squeeze=False)
    for ax in grid.flat[len(hists) :]:
        ax.set_visible(False)
    legend: list[Artist] = []
    for ax, hist in zip(grid.flat, hists, strict=False):
        xs = list(range(len(hist.labels)))
        ok = ax.bar(xs, hist.ok, 0.7, color=OK_COLOUR, label="ok")
        failed = ax.bar(xs, hist.failed, 0.7, bottom=hist.ok, color=FAILED_COLOUR, label="failed")
        pad = max(0.0, (5 - len(xs)) / 2)  # room for five bars: two or three are not slabs
        ax.set_xlim(-0.6 - pad, len(xs) - 0.4 + pad)
        for name, bars in (("ok", ok), ("failed", failed)):
            for i, patch in enumerate(bars):
                patch.set_gid(f"{chart_id}-{hist.feature}-{name}-{i}")
        shown = [_short(s) for s in hist.labels]
        ax.set_xticks(xs, shown)
        longest = max((len(s) for s in shown), default=0)
        if longest * len(xs) > 48:
            ax.tick_params(axis="x", labelrotation=45)
            for tick in ax.get_xticklabels():
                tick.set_horizontalalignment("right")
        ax.tick_params(axis="x", labelsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_ylabel("requests")
        ax.set_title(f"{hist.feature} by outcome", loc="left", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        rate_ax = ax.twinx()
        (rate,) = rate_ax.plot(xs, hist.failure_pct, "o-", color=GREY, ms=3, lw=1.2)
        rate.set_label("failure rate")
        rate.set_gid(f"{chart_id}-{hist.feature}-failure-rate")
        rate_ax.set_ylim(0, max(max(hist.failure_pct, default=0.0) * 1.15, 1.0))
        rate_ax.yaxis.set_major_formatter(PercentFormatter())
        rate_ax.set_ylabel("failed %", fontsize=9)
        legend = legend or [ok, failed, rate]
    if legend:
        fig.legend(handles=legend, loc="outside upper left", ncols=3, fontsize=9, frameon=False)
    return fig
