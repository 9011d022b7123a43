"""The profile result on a rich console: findings in words, then tables."""

from __future__ import annotations

from rich.console import Console

from llmops.reporters.profile.json import finding_lines, no_findings, summary_lines
from llmops.reporters.profile.markdown import segment_row
from llmops.reporters.terminal_tables import Column, table_of
from llmops.workflows.profile import ProfileResult

__all__ = ["render_terminal"]

#: segment names and outcomes wrap; no header is ever cut (80 columns and up)
_SEGMENT_COLUMNS = [
    Column("segment", flexible=True),
    Column("outcome", flexible=True),
    *(Column(name, numeric=True) for name in ("n", "rate (95% CI)", "diff", "p")),
]
_SHIFT_COLUMNS = [
    Column("feature", flexible=True),
    *(Column(name, numeric=True) for name in ("PSI", "p", "shifted")),
]


def render_terminal(result: ProfileResult, console: Console, *, rows: int = 15) -> None:
    """Print summary, findings, the top segments and (with a baseline) the shift table."""
    for line in summary_lines(result):
        console.print(line, highlight=False, soft_wrap=True)
    console.print()
    if result.findings:
        console.print("[bold]Findings[/]")
        for i, line in enumerate(finding_lines(result), 1):
            console.print(f"  {i}. {line}", highlight=False)
    else:
        console.print(no_findings(result), highlight=False)
    shown = result.segments[:rows]
    table = table_of(
        _SEGMENT_COLUMNS,
        [segment_row(seg) for seg in shown],
        title="Segments (p Benjamini\u2013Hochberg adjusted)",
        styles=["bold" if seg.finding else None for seg in shown],
    )
    if shown:
        console.print()
        console.print(table)
    if result.shift_verdict is not None:
        shift = table_of(
            _SHIFT_COLUMNS,
            [
                [s.feature, f"{s.psi:.3f}", f"{s.p_value:.3g}", "yes" if s.shifted else ""]
                for s in result.shifts
            ],
            title=f"Against the baseline: {result.shift_verdict}",
        )
        console.print(shift)
