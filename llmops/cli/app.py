"""Assembles the Typer app from one module per command and maps errors to exit codes.

Exit codes: 0 success; 1 a failed check, SLO or regression; 2 bad input or configuration;
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys

import typer

from llmops.cli import (
    config_cmd,
    eval_cmd,
    loadtest_cmd,
    mock_cmd,
    profile_cmd,
    queue_cmd,
    runbook_cmd,
)
from llmops.cli.common import run_guarded

app = typer.Typer(
    name="llmops",
    help=(
        "Reliability toolkit for features built on LLM APIs.\n\n"
        "Exit codes: 0 ok, 1 failed check/SLO/regression, 2 bad input or config, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

for module in (loadtest_cmd, eval_cmd, profile_cmd, runbook_cmd, mock_cmd, config_cmd, queue_cmd):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run_guarded(app))
