"""The profile result on a rich console: findings in words, then tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from llmops.reporters.profile.json import finding_lines, no_findings, summary_lines
from llmops.reporters.profile.markdown import segment_row
from llmops.workflows.profile import ProfileResult

__all__ = ["render_terminal"]


def render_terminal(result: ProfileResult, console: Console, *, rows: int = 15) -> None:
    """Print summary, findings, the top segments and (with a baseline) the shift table."""
    for line in summary_lines(result):
        console.print(line, highlight=False, soft_wrap=True)
    console.print()
    if result.findings:
        console.print("[bold]Findings[/]")
        for i, line in enumerate(finding_lines(result), 1):
            console.print(f"  {i}. {line}", highlight=False, soft_wrap=True)
    else:
        console.print(no_findings(result), highlight=False)
    table = Table(title="Segments (p Benjamini\u2013Hochberg adjusted)", title_justify="left")
    for name in ("segment", "outcome", "n", "rate (95% CI)", "diff", "p"):
        table.add_column(name, justify="left" if name in ("segment", "outcome") else "right")
    for seg in result.segments[:rows]:
        table.add_row(*segment_row(seg), style="bold" if seg.finding else None)
    if result.segments:
        console.print()
        console.print(table)
    if result.shift_verdict is not None:
        shift = Table(title=f"Against the baseline: {result.shift_verdict}", title_justify="left")
        for name in ("feature", "PSI", "p", "shifted"):
            shift.add_column(name)
        for s in result.shifts:
            shift.add_row(s.feature, f"{s.psi:.3f}", f"{s.p_value:.3g}", "yes" if s.shifted else "")
        console.print(shift)
