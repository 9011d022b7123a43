"""Through every command that loads a user's YAML, a hostile file ends in one line naming it and
exit 2 (no traceback), within bounded time and memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# what the commands import on their way to the loader, imported once so each forked child has it
import anyio  # noqa: F401
import pytest
from typer.testing import CliRunner

import llmops.engine.clock
import llmops.mock.server
import llmops.workflows.evals.eval
import llmops.workflows.evals.schedule
import llmops.workflows.runbook.runbook
import llmops.workflows.target  # noqa: F401
from llmops.cli.app import app
from tests.hardening.bounded import run_bounded
from tests.hardening.hostile import HOSTILE

#: command line with FILE where the hostile file goes, and the file's name
COMMANDS = {
    "config check": (["config", "check", "FILE"], "llmops.yaml"),
    "eval SUITE": (["eval", "FILE", "--no-record", "--no-reports"], "suite.yaml"),
    "eval promptfoo": (["eval", "FILE", "--no-record", "--no-reports"], "promptfooconfig.yaml"),
    "eval --config": (["eval", "--config", "FILE", "--no-record", "--no-reports"], "llmops.yaml"),
    "loadtest --config": (["loadtest", "--config", "FILE", "--levels", "1"], "llmops.yaml"),
    "loadtest --prices": (["loadtest", "--prices", "FILE", "--levels", "1"], "prices.yaml"),
    "loadtest --mock-profile": (["loadtest", "--mock-profile", "FILE", "--levels", "1"], "p.yaml"),
    "mock serve --profile": (["mock", "serve", "--profile", "FILE", "--port", "0"], "prof.yaml"),
    "runbook check --config": (["runbook", "check", "--config", "FILE"], "llmops.yaml"),
    "runbook init --config": (["runbook", "init", "--config", "FILE"], "llmops.yaml"),
}

CASES = ["alias-bomb", "python-tag", "binary-file", "dot-inf"]  # the rest: test_hostile_yaml


def _invoke(argv: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    return result.exit_code, result.stderr + result.stdout


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_hostile_file_ends_the_command_in_one_line_and_exit_2(
    command: str, case: str, tmp_path: Path, monkeypatch: Any
) -> None:
    argv, name = COMMANDS[command]
    path = tmp_path / name
    path.write_bytes(HOSTILE[case])
    monkeypatch.chdir(tmp_path)
    outcome = run_bounded(lambda: _invoke([str(path) if a == "FILE" else a for a in argv]))
    assert outcome.kind == "accepted", outcome  # the command returned (refusing is its job)
    code, output = outcome.value
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert (code, len(errors)) == (2, 1), output
    assert name in errors[0] and "Traceback" not in output, output
