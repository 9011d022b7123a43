"""`llmops loadtest`: placeholder until issue 4 lands."""

from __future__ import annotations

import typer

from llmops.cli.common import not_built


def register(app: typer.Typer) -> None:
    @app.command(
        "loadtest", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def loadtest_command() -> None:
        """Not built yet: exits 2."""
        not_built("loadtest", "issue 4")
