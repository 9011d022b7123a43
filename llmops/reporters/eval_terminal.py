"""The eval result for a terminal: a rich table of cases and the verdict, as text."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from llmops.reporters.eval_common import case_summaries, headline, verdict_lines
from llmops.workflows.evals.eval import EvalOutcome

_STYLE = {"OK": "bold green", "WARN": "bold yellow", "REGRESSION": "bold red"}


def render(
    outcome: EvalOutcome, *, width: int = 110, color: bool = False, all_cases: bool = False
) -> str:
    """The table (failing cases only unless ``all_cases``) and the verdict lines."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, force_terminal=color, color_system="standard" if color else None
    )
    table = Table(title=headline(outcome), title_justify="left", show_lines=False)
    table.add_column("case")
    table.add_column("passed", justify="right")
    table.add_column("output", overflow="fold", max_width=36)
    table.add_column("why it failed", overflow="fold")
    shown = 0
    for s in case_summaries(outcome.run):
        if s.ok and not all_cases:
            continue
        shown += 1
        output = (s.output or "").replace("\n", " ")
        table.add_row(
            s.case_id,
            f"[{'green' if s.ok else 'red'}]{s.passed}/{s.total}[/]",
            output[:80],
            "; ".join(s.failures)[:200],
        )
    if shown:
        console.print(table)
    else:
        console.print(f"[bold]{headline(outcome)}[/]: every case passed")
    for i, line in enumerate(verdict_lines(outcome)):
        if i == 0 and outcome.comparison is not None:
            console.print(f"[{_STYLE[outcome.comparison.status]}]{line}[/]", highlight=False)
        else:
            console.print(line, highlight=False)
    return buf.getvalue()
