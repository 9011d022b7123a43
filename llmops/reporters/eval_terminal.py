"""The eval result for a terminal: a rich table of cases and the verdict, as text."""

from __future__ import annotations

import io

from rich.console import Console

from llmops.reporters.eval_common import case_summaries, headline, verdict_lines
from llmops.reporters.terminal_tables import Column, table_of
from llmops.workflows.evals.eval import EvalOutcome

#: case ids, outputs and reasons wrap; no header is ever cut (80 columns and up)
_COLUMNS = [
    Column("case", flexible=True),
    Column("passed", numeric=True),
    Column("output", flexible=True),
    Column("why it failed", flexible=True),
]
_STYLE = {"OK": "bold green", "WARN": "bold yellow", "REGRESSION": "bold red"}


def render(
    outcome: EvalOutcome, *, width: int = 110, color: bool = False, all_cases: bool = False
) -> str:
    """The table (failing cases only unless ``all_cases``) and the verdict lines, ``width``
    columns wide (every header stays whole from 80 columns up)."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, force_terminal=color, color_system="standard" if color else None
    )
    rows = [
        [
            s.case_id,
            f"[{'green' if s.ok else 'red'}]{s.passed}/{s.total}[/]",
            (s.output or "").replace("\n", " ")[:80],
            "; ".join(s.failures)[:200],
        ]
        for s in case_summaries(outcome.run)
        if all_cases or not s.ok
    ]
    table = table_of(_COLUMNS, rows, title=headline(outcome))
    table.columns[2].max_width = max(len("output"), min(36, width // 4))
    if rows:
        console.print(table)
    else:
        console.print(f"[bold]{headline(outcome)}[/]: every case passed")
    for i, line in enumerate(verdict_lines(outcome)):
        if i == 0 and outcome.comparison is not None:
            console.print(f"[{_STYLE[outcome.comparison.status]}]{line}[/]", highlight=False)
        else:
            console.print(line, highlight=False)
    return buf.getvalue()
