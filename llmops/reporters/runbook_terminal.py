"""The runbook check for a terminal: a feature x question checklist, then what to fix."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from llmops.workflows.runbook.model import QUESTIONS, SHORT, RunbookResult

_STYLE = {
    "pass": "green",
    "waived": "cyan",
    "warn": "yellow",
    "stale": "yellow",
    "inconclusive": "magenta",
    "fail": "bold red",
    "error": "bold red",
}


def render(result: RunbookResult, *, width: int = 110, color: bool = False) -> str:
    """The checklist table, one line per problem (with its fix), and the verdict."""
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, force_terminal=color, color_system="standard" if color else None
    )
    questions = sorted({a.question for _, a in result.answers()}) or list(QUESTIONS)
    table = Table(title="llmops runbook check", title_justify="left")
    table.add_column("feature")
    for q in questions:
        table.add_column(f"{q} {SHORT[q]}")
    for f in result.features:
        by_q = {a.question: a for a in f.answers}
        table.add_row(
            f.name,
            *(
                f"[{_STYLE[by_q[q].status]}]{by_q[q].status}[/]" if q in by_q else ""
                for q in questions
            ),
        )
    console.print(table)
    for name, a in result.answers():
        if a.status in ("pass", "waived"):
            continue
        console.print(
            f"[{_STYLE[a.status]}]{a.status}[/] {name} q{a.question}: {a.message}", highlight=False
        )
        if a.numbers:
            console.print(f"    {a.numbers}", highlight=False)
        if a.fix:
            console.print(f"    fix: {a.fix}", highlight=False)
    for w in result.unused_waivers:
        console.print(f"[yellow]waiver {w}[/]", highlight=False)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts().items()))
    verdict = "[bold green]ready[/]" if result.ready else "[bold red]not ready[/]"
    console.print(f"{verdict}: {counts} ({result.wall_s:.1f}s)", highlight=False)
    return buf.getvalue()
