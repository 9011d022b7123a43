"""The profile result as Markdown (CI step summaries, pull requests)."""

from __future__ import annotations

from llmops.reporters.profile.json import finding_lines, no_findings, summary_lines
from llmops.stats.significance import format_p
from llmops.workflows.profile import ProfileResult, Segment

__all__ = ["render_markdown", "segment_row"]

TABLE_ROWS = 30


def segment_row(seg: Segment) -> list[str]:
    """Table cells: segment, outcome, n, rate with Wilson 95% interval, difference, p (BH)."""
    lo, hi = seg.interval
    label = seg.label
    if seg.explained_by:
        label += f" (explained by: {', '.join(seg.explained_by)})"
    return [
        label,
        seg.kind.replace("_", " "),
        f"{seg.n:,}",
        f"{seg.rate:.1%} ({lo:.1%}\u2013{hi:.1%})",
        f"{seg.difference * 100:+.1f}",
        format_p(seg.q_value).removeprefix("p").removeprefix("="),
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def render_markdown(result: ProfileResult) -> str:
    """Markdown: summary, findings in words, the segment table, distributions, baseline shift."""
    out = ["# llmops profile", ""]
    out += [f"- {line}" for line in summary_lines(result)]
    out += ["", "## Findings", ""]
    if result.findings:
        out += [f"{i}. {line}" for i, line in enumerate(finding_lines(result), 1)]
    else:
        out.append(no_findings(result))
    if result.segments:
        out += [
            "",
            "## Segments",
            "",
            f"{len(result.segments)} tested; p is Benjamini\u2013Hochberg adjusted; a segment "
            "explained by a finding fails more only where it overlaps that finding.",
            "",
        ]
        header = ["segment", "outcome", "n", "rate (95% CI)", "diff (points)", "p"]
        out += _table(header, [segment_row(s) for s in result.segments[:TABLE_ROWS]])
    out += ["", "## Distributions", ""]
    for dist in result.distributions:
        cells = [f"{b.label}: {b.n:,} ({b.failures / b.n:.0%} failed)" for b in dist.bins if b.n]
        out.append(f"- **{dist.feature}**: " + "; ".join(cells))
    if result.error_types:
        out += ["", "## Failures by type", ""]
        out += [f"- {k}: {v:,}" for k, v in list(result.error_types.items())[:15]]
    if result.shift_verdict is not None:
        out += ["", "## Against the baseline", "", result.shift_verdict, ""]
        rows = [
            [
                s.feature,
                f"{s.psi:.3f}",
                format_p(s.p_value).removeprefix("p"),
                "yes" if s.shifted else "",
            ]
            for s in result.shifts
        ]
        out += _table(["feature", "PSI", "p", "shifted"], rows)
    return "\n".join(out) + "\n"
