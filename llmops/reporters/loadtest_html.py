"""The load test as one self-contained HTML page: the chart (success rate and p99 against
load, the knee marked; answers/s beside it), the level table and the verdict.

The chart data comes from :func:`~llmops.workflows.loadtest.chart.load_curve`; it is drawn by
:mod:`llmops.reporters.charts` (matplotlib, imported only here) and inlined as SVG: no script,
no network.
"""

from __future__ import annotations

import html

from llmops.reporters.loadtest_markdown import level_cells, load_header, table_header
from llmops.workflows.loadtest import LoadtestResult
from llmops.workflows.loadtest.chart import load_curve

__all__ = ["render_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;margin:2em auto;max-width:1150px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.4em;font-size:1.2em;border-bottom:1px solid #ddd}
.meta{color:#555;margin-top:0}.charts{display:flex;gap:1em;flex-wrap:wrap}.charts svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.85em;width:100%}
td,th{padding:.3em .5em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
th{white-space:normal;vertical-align:bottom}.levels{overflow-x:auto}
td.errors,th.errors{white-space:normal;text-align:left}td.errors{font-size:.9em}
tr.knee{background:#fff4d6;font-weight:600}ul.verdict li{margin:.35em 0}
"""


def _charts(result: LoadtestResult) -> str:
    if not result.levels:
        return "<p>No level ran.</p>"
    from llmops.reporters.charts import load_figure, svg_of  # matplotlib: only when drawn

    title = "Success rate, p99 latency and throughput against load"
    return f'<div class="charts">{svg_of(load_figure(load_curve(result)), "loadtest", title)}</div>'


def render_html(result: LoadtestResult) -> str:
    """The whole page as text."""
    esc = html.escape
    names = table_header(result)
    cls = [' class="errors"' if h == "errors" else "" for h in names]
    header = "".join(f"<th{c}>{esc(h)}</th>" for c, h in zip(cls, names, strict=True))
    knee = result.verdict.knee
    rows = []
    for level in result.levels:
        row = ' class="knee"' if knee is not None and knee.load == level.load else ""
        values = level_cells(result, level)
        cells = "".join(f"<td{c}>{esc(v)}</td>" for c, v in zip(cls, values, strict=True))
        rows.append(f"<tr{row}>{cells}</tr>")
    verdict = "".join(f"<li>{esc(line)}</li>" for line in result.verdict.lines)
    mode = "open loop (Poisson arrivals)" if result.mode == "open" else "closed loop"
    meta = (
        f"{esc(result.target)} · {result.via} · {mode} · "
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
        f"<div class=levels><table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table></div>{skipped}"
        "</body></html>\n"
    )
