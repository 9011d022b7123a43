"""The profile result as one self-contained HTML page with charts.

The chart data comes from :func:`~llmops.workflows.profile.chart.outcome_histograms`; it is drawn
by :mod:`llmops.reporters.charts` (matplotlib, imported only here) and inlined as SVG.
"""

from __future__ import annotations

import html

from llmops.reporters.profile.json import finding_lines, no_findings, summary_lines
from llmops.reporters.profile.markdown import segment_row
from llmops.workflows.profile import ProfileResult
from llmops.workflows.profile.chart import outcome_histograms

__all__ = ["render_html"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child,td:nth-child(2){text-align:left}tr.finding{font-weight:600;background:#fff4e5}
.charts svg{display:block;max-width:100%;height:auto}
ol li{margin:.3em 0}.muted{color:#666}
"""


def _charts(result: ProfileResult) -> str:
    hists = outcome_histograms(result)
    if not hists:
        return "<p class='muted'>No feature to draw.</p>"
    from llmops.reporters.charts import histograms_figure, svg_of  # matplotlib: only when drawn

    title = "Requests per bin by outcome, and the failure rate per bin, for each feature"
    return f"<div class='charts'>{svg_of(histograms_figure(hists), 'profile', title)}</div>"


def render_html(result: ProfileResult) -> str:
    """HTML page: summary, findings, segment table with intervals, histograms split by outcome."""
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>llmops profile</title>"]
    parts.append(f"<style>{_STYLE}</style></head><body><h1>llmops profile</h1><ul>")
    parts += [f"<li>{esc(line)}</li>" for line in summary_lines(result)]
    parts.append("</ul><h2>Findings</h2>")
    if result.findings:
        parts.append(
            "<ol>" + "".join(f"<li>{esc(line)}</li>" for line in finding_lines(result)) + "</ol>"
        )
    else:
        parts.append(f"<p>{esc(no_findings(result))}</p>")
    parts.append("<h2>Distributions by outcome</h2>")
    parts.append(_charts(result))
    if result.segments:
        parts.append(
            "<h2>Segments</h2><p class='muted'>p is Benjamini\u2013Hochberg adjusted; rate with Wilson 95% interval.</p><table>"
        )
        parts.append(
            "<tr>"
            + "".join(
                f"<th>{h}</th>"
                for h in ("segment", "outcome", "n", "rate (95% CI)", "diff (points)", "p")
            )
            + "</tr>"
        )
        for seg in result.segments[:40]:
            cls = " class='finding'" if seg.finding else ""
            parts.append(
                f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in segment_row(seg)) + "</tr>"
            )
        parts.append("</table>")
    if result.error_types:
        parts.append("<h2>Failures by type</h2><table>")
        parts += [
            f"<tr><td>{esc(k)}</td><td>{v:,}</td></tr>"
            for k, v in list(result.error_types.items())[:15]
        ]
        parts.append("</table>")
    if result.shift_verdict is not None:
        parts.append(
            f"<h2>Against the baseline</h2><p>{esc(result.shift_verdict)}</p><table><tr><th>feature</th><th>PSI</th><th>p</th><th>shifted</th></tr>"
        )
        parts += [
            f"<tr><td>{s.feature}</td><td>{s.psi:.3f}</td><td>{s.p_value:.3g}</td><td>{'yes' if s.shifted else ''}</td></tr>"
            for s in result.shifts
        ]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
