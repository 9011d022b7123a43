"""The eval result as one self-contained HTML page with the pass-rate history chart.

The chart data comes from :func:`~llmops.workflows.evals.chart.history_chart`; it is drawn by
:mod:`llmops.reporters.charts` (matplotlib, imported only here) and inlined as SVG.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from llmops.reporters.eval_common import case_summaries, headline, verdict_lines
from llmops.workflows.evals.chart import history_chart
from llmops.workflows.evals.eval import EvalOutcome

_COLOR = {"OK": "#2e7d32", "WARN": "#b26a00", "REGRESSION": "#c62828"}

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
h1{font-size:1.4rem} .badge{color:#fff;padding:.15rem .5rem;border-radius:4px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:1rem}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.fail{color:#c62828} .pass{color:#2e7d32} ul{line-height:1.5} .meta{color:#666;font-size:.85rem}
.chart svg{width:100%;height:auto}
"""


def render(outcome: EvalOutcome, *, window_s: float = 7 * 86400.0) -> str:
    """The page: verdict, evidence, history chart, every case."""
    run = outcome.run
    c = outcome.comparison
    badge = (
        f'<span class="badge" style="background:{_COLOR[c.status]}">{c.status}</span> '
        if c is not None
        else ""
    )
    when = datetime.fromtimestamp(run.started_at, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>llmops eval {escape(run.suite)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{badge}llmops eval — {escape(run.suite)}</h1>",
        f"<p>{escape(headline(outcome))}</p>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in verdict_lines(outcome)) + "</ul>",
        f"<p class='meta'>{when} · suite {run.suite_hash} · config {run.config_hash} · "
        f"commit {escape(run.git_commit or '-')} · run {run.run_id[:12]}</p>",
    ]
    chart = history_chart(outcome.history or [run], window_s=window_s)
    if chart.pass_pct:
        from llmops.reporters.charts import history_figure, svg_of  # matplotlib: only when drawn

        svg = svg_of(history_figure(chart), "history", chart.title)
        parts.append(f"<div class='chart'>{svg}</div>")
    parts.append(
        "<table><tr><th>case</th><th>passed</th><th>output</th><th>why it failed</th>"
        "<th>latency</th></tr>"
    )
    for s in case_summaries(run):
        cls = "pass" if s.ok else "fail"
        parts.append(
            f"<tr><td>{escape(s.case_id)}</td><td class='{cls}'>{s.passed}/{s.total}</td>"
            f"<td>{escape((s.output or '')[:200])}</td><td>{escape('; '.join(s.failures))}</td>"
            f"<td>{s.latency_s * 1000:.0f} ms</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
