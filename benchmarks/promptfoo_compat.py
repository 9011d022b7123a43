"""Run a directory of promptfoo configs with ``llmops eval`` as they are, and print per config
whether it ran or was refused (and why).

Each config found under DIR (any ``*.yaml``/``*.yml`` that :func:`is_promptfoo` recognises) is
run by the CLI exactly as a user would run it::

    llmops eval CONFIG --target MOCK/v1 --provider openai --model gpt-4o-mini

against a loopback mock (``benchmarks/promptfoo_compat_mock.yaml``: generated answers, and a
well-formed reply to llmops's grading prompts, so a model-graded assertion that runs shows as
run). A config **ran** when the eval finished (exit 0 or 1) with a report; it ran **clean** when no
assertion of it ended in an evaluation error (a script that raised, a grader reply that could
not be read, a missing capability such as logprobs). **Refused** is exit 2 with its one line.

    python benchmarks/promptfoo_compat.py /tmp/pf-real
    python benchmarks/promptfoo_compat.py /tmp/pf-real --code /tmp/pf-base   # another checkout
    python benchmarks/promptfoo_compat.py /tmp/pf-real --json out.json

The configs are not part of this repository (promptfoo's examples are theirs): fetch them into a
scratch directory first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROFILE = HERE / "promptfoo_compat_mock.yaml"
#: check reasons that mean the assertion was not evaluated, not that the output failed it
EVAL_ERROR = re.compile(
    r"raised|unreadable grader reply|needs a grader|not supported|cannot|exports no function|"
    r"TypeScript|grader call|needs token logprobs|no logprobs|unknown file extension|"
    r"named no output|failed to render",
    re.I,
)


@dataclass
class Outcome:
    """One config's result."""

    config: str
    status: str  # ran | refused | crashed
    cases: int = 0
    passed: int = 0
    eval_errors: int = 0
    why: str = ""
    examples: list[str] = field(default_factory=list)


def find_configs(root: Path) -> list[Path]:
    """The promptfoo configs under ``root``, sorted."""
    from llmops.workflows.evals.promptfoo import is_promptfoo

    found = [p for p in sorted(root.rglob("*.y*ml")) if p.suffix in (".yaml", ".yml")]
    return [p for p in found if is_promptfoo(p)]


def run_one(config: Path, url: str, code: Path | None, model: str) -> Outcome:
    """Run ``config`` with the llmops CLI (from ``code`` when given) and classify the result."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable, "-c", "from llmops.cli import main; main()", "eval", str(config),
            "--target", url, "--provider", "openai", "--model", model,
            "--report-dir", tmp, "--no-record",
        ]  # fmt: skip
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=tmp, timeout=600, check=False
        )
        name = str(config)
        if proc.returncode == 2:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            why = next((ln for ln in lines if ln.startswith("error:")), lines[-1] if lines else "")
            return Outcome(name, "refused", why=why.removeprefix("error: "))
        reports = list(Path(tmp).glob("*.json"))
        if proc.returncode not in (0, 1) or not reports:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            return Outcome(name, "crashed", why=f"exit {proc.returncode}: {tail}")
        run = json.loads(reports[0].read_text())["run"]
    out = Outcome(name, "ran", cases=len(run["cases"]))
    for case in run["cases"]:
        out.passed += bool(case["passed"])
        if case.get("error"):
            out.eval_errors += 1
            out.examples.append(f"{case['case_id']}: {case['error']}"[:160])
        for check in case.get("checks") or []:
            if not check["passed"] and EVAL_ERROR.search(check.get("reason") or ""):
                out.eval_errors += 1
                out.examples.append(f"{check['check']}: {check['reason']}"[:160])
    return out


def table(outcomes: list[Outcome], root: Path) -> str:
    """The outcomes as a Markdown table, and a summary line."""
    rows = [
        "| config | result | cases | passed | assertion errors | why refused / first assertion error |"
    ]
    rows.append("|---|---|---|---|---|---|")
    for o in outcomes:
        rel = os.path.relpath(o.config, root)
        result = "ran" if o.status == "ran" and not o.eval_errors else o.status
        if o.status == "ran" and o.eval_errors:
            result = "ran, assertion errors"
        note = o.why or (o.examples[0] if o.examples else "")
        rows.append(
            f"| {rel} | {result} | {o.cases} | {o.passed} | {o.eval_errors} | "
            f"{note.replace('|', '/')[:200]} |"
        )
    ran = sum(o.status == "ran" for o in outcomes)
    clean = sum(o.status == "ran" and not o.eval_errors for o in outcomes)
    rows.append(
        f"\n{ran} of {len(outcomes)} configs ran ({clean} without an assertion error); "
        f"{sum(o.status == 'refused' for o in outcomes)} refused, "
        f"{sum(o.status == 'crashed' for o in outcomes)} crashed."
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="directory holding the promptfoo configs")
    parser.add_argument("--code", type=Path, help="run the llmops found in this checkout")
    parser.add_argument("--model", default="gpt-4o-mini", help="--model given to llmops eval")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    args = parser.parse_args(argv)
    from llmops.mock import spawn_mock_server

    configs = find_configs(args.root)
    outcomes: list[Outcome] = []
    with spawn_mock_server(PROFILE) as base:
        for config in configs:
            outcome = run_one(config, base + "/v1", args.code, args.model)
            outcomes.append(outcome)
            print(f"{outcome.status:8} {config}", file=sys.stderr)
    print(table(outcomes, args.root))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
