"""The eval result as Markdown (a CI step summary)."""

from __future__ import annotations

from llmops.reporters.eval_common import case_summaries, headline, verdict_lines
from llmops.workflows.evals.eval import EvalOutcome

_ICON = {"OK": "✅", "WARN": "⚠️", "REGRESSION": "❌"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:120]


def render(outcome: EvalOutcome) -> str:
    """A heading with the verdict, the verdict's evidence and a table of failing cases."""
    run = outcome.run
    c = outcome.comparison
    icon = f"{_ICON[c.status]} {c.status}: " if c is not None else ""
    out = [f"## llmops eval — {icon}{run.suite}", "", headline(outcome), ""]
    out += [f"- {line}" for line in verdict_lines(outcome)]
    out += [
        "",
        f"suite `{run.suite_hash}` · config `{run.config_hash}` · commit `{run.git_commit or '-'}`"
        f" · run `{run.run_id[:12]}`",
        "",
    ]
    failing = [s for s in case_summaries(run) if not s.ok]
    if failing:
        out += ["| case | passed | output | why it failed |", "|---|---:|---|---|"]
        out += [
            f"| {_cell(s.case_id)} | {s.passed}/{s.total} | {_cell(s.output or '')} | "
            f"{_cell('; '.join(s.failures))} |"
            for s in failing
        ]
    else:
        out.append("Every case passed.")
    return "\n".join(out) + "\n"
