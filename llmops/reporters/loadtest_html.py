"""The load test as one self-contained HTML page: the chart (success rate and p99 against
load, the knee marked; answers/s beside it), the level table and the verdict.

Charts are drawn with matplotlib's Agg backend and inlined as SVG: no script, no network.
"""

from __future__ import annotations

import html
import io

from llmops.reporters.loadtest_markdown import level_cells, load_header, table_header
from llmops.workflows.loadtest import LoadtestResult

__all__ = ["render_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:1150px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.4em;font-size:1.2em;border-bottom:1px solid #ddd}
.meta{color:#555;margin-top:0}.charts{display:flex;gap:1em;flex-wrap:wrap}.charts svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.85em;width:100%}
td,th{padding:.3em .5em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
td:nth-last-child(2),th:nth-last-child(2){white-space:normal;text-align:left}td:nth-last-child(2){font-size:.9em}
tr.knee{background:#fff4d6;font-weight:600}ul.verdict li{margin:.35em 0}
"""

_GREEN, _RED, _BLUE, _KNEE = "#2e8b57", "#c0392b", "#2c6fbb", "#e69500"


def _svg(fig: object) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _charts(result: LoadtestResult) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter

    levels = result.levels
    if not levels:
        return "<p>No level ran.</p>"
    xs = [lv.load for lv in levels]
    xlabel = "offered load (requests/s)" if result.mode == "open" else "concurrent clients"
    knee = result.verdict.knee
    log_x = len(xs) > 1 and xs[-1] / xs[0] >= 4

    def axes_style(ax: object) -> None:
        if log_x:
            ax.set_xscale("log")  # type: ignore[attr-defined]
        ax.xaxis.set_major_locator(FixedLocator(xs))  # type: ignore[attr-defined]
        ax.xaxis.set_minor_locator(NullLocator())  # type: ignore[attr-defined]
        ax.set_xticklabels([f"{x:g}" for x in xs])  # type: ignore[attr-defined]
        ax.set_xlabel(xlabel)  # type: ignore[attr-defined]
        ax.grid(alpha=0.3)  # type: ignore[attr-defined]
        if knee is not None:
            ax.axvline(knee.load, color=_KNEE, ls="--", lw=1.5)  # type: ignore[attr-defined]

    fig = Figure(figsize=(6.6, 3.8), dpi=100)
    ax = fig.add_subplot()
    ax.plot(xs, [lv.success_rate * 100 for lv in levels], "o-", color=_GREEN, label="success rate")
    ax.set_ylim(-3, 103)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_ylabel("success rate", color=_GREEN)
    axes_style(ax)
    ax2 = ax.twinx()
    p99 = [lv.latency_ms["p99"] if lv.latency_ms else float("nan") for lv in levels]
    ax2.plot(xs, p99, "s-", color=_RED, label="p99 latency")
    ax2.set_ylabel("p99 latency (ms)", color=_RED)
    finite = [v for v in p99 if v == v]
    ax2.set_ylim(0, max(finite, default=1.0) * 1.25)  # headroom: keep it off the 100% line
    if knee is not None:
        ax.annotate(
            f"knee: {knee.load:g} ({knee.signal})",
            xy=(knee.load, 50),
            xytext=(6, 0),
            textcoords="offset points",
            color=_KNEE,
            fontweight="bold",
        )
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower left", fontsize=8)
    ax.set_title("Success rate and p99 latency")

    fig2 = Figure(figsize=(4.4, 3.8), dpi=100)
    bx = fig2.add_subplot()
    bx.plot(xs, [lv.throughput_rps for lv in levels], "o-", color=_BLUE)
    bx.set_ylabel("answers/s")
    bx.set_ylim(bottom=0)
    axes_style(bx)
    bx.set_title("Throughput")
    return f'<div class="charts">{_svg(fig)}{_svg(fig2)}</div>'


def render_html(result: LoadtestResult) -> str:
    """The whole page as text."""
    esc = html.escape
    header = "".join(f"<th>{esc(h)}</th>" for h in table_header(result))
    knee = result.verdict.knee
    rows = []
    for level in result.levels:
        cls = ' class="knee"' if knee is not None and knee.load == level.load else ""
        cells = "".join(f"<td>{esc(c)}</td>" for c in level_cells(result, level))
        rows.append(f"<tr{cls}>{cells}</tr>")
    verdict = "".join(f"<li>{esc(line)}</li>" for line in result.verdict.lines)
    mode = "open loop (Poisson arrivals)" if result.mode == "open" else "closed loop"
    meta = (
        f"{esc(result.target)} · {'raw API' if result.raw else 'through the engine'} · {mode} · "
        f"started {esc(result.started_at)} · {result.wall_s:.1f} s · prompts: {esc(result.prompts)}"
    )
    skipped = ""
    if result.skipped_loads:
        skipped = (
            f"<p>Not run: {esc(', '.join(f'{x:g}' for x in result.skipped_loads))} "
            f"({esc(result.stop_reason or '')}).</p>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>llmops loadtest</title><style>{_STYLE}</style></head><body>"
        f"<h1>llmops loadtest</h1><p class=meta>{meta}</p>"
        f"<h2>Verdict</h2><ul class=verdict>{verdict}</ul>"
        f"{_charts(result)}"
        f"<h2>Levels ({esc(load_header(result))})</h2>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>{skipped}"
        "</body></html>\n"
    )
