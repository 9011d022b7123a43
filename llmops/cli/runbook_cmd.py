"""`llmops runbook`: placeholder until a later issue lands."""

from __future__ import annotations

import typer

from llmops.cli.common import not_built


def register(app: typer.Typer) -> None:
    @app.command(
        "runbook", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def runbook_command() -> None:
        """Not built yet: exits 2."""
        not_built("runbook", "a later issue")
