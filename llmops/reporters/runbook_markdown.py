"""The runbook check as Markdown (for ``$GITHUB_STEP_SUMMARY``): a checklist and what to fix."""

from __future__ import annotations

from llmops.workflows.runbook.model import SHORT, RunbookResult

ICON = {
    "pass": "✅",
    "waived": "⏭️",
    "warn": "⚠️",
    "stale": "⌛",
    "inconclusive": "❔",
    "fail": "❌",
    "error": "💥",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: RunbookResult) -> str:
    """A heading with the verdict, a feature x question table, then one line per problem."""
    verdict = "ready" if result.ready else "NOT ready"
    counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts().items()))
    lines = [f"## llmops runbook: {verdict}", "", f"{counts} (config `{result.config_path}`)", ""]
    questions = sorted({a.question for _, a in result.answers()})
    lines.append("| feature | " + " | ".join(f"{q} {SHORT[q]}" for q in questions) + " |")
    lines.append("|---|" + "---|" * len(questions))
    for f in result.features:
        by_q = {a.question: a for a in f.answers}
        cells = [f"{ICON[by_q[q].status]} {by_q[q].status}" if q in by_q else "" for q in questions]
        lines.append(f"| {_cell(f.name)} | " + " | ".join(cells) + " |")
    problems = [(name, a) for name, a in result.answers() if a.status not in ("pass", "waived")]
    if problems:
        lines += ["", "### What to fix", ""]
        for name, a in problems:
            fix = f" — fix: {a.fix}" if a.fix else ""
            lines.append(
                f"- **{_cell(name)}** q{a.question} {a.status}: {_cell(a.message)}{_cell(fix)}"
            )
    waived = [(name, a) for name, a in result.answers() if a.status == "waived"]
    if waived:
        lines += ["", "### Waived", ""]
        lines += [f"- **{_cell(n)}** q{a.question}: {_cell(a.waiver or '')}" for n, a in waived]
    if result.unused_waivers:
        lines += ["", "### Unused waivers", ""]
        lines += [f"- {_cell(w)}" for w in result.unused_waivers]
    return "\n".join(lines) + "\n"
