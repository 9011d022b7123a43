"""`llmops profile`: placeholder until issue 6 lands."""

from __future__ import annotations

import typer

from llmops.cli.common import not_built


def register(app: typer.Typer) -> None:
    @app.command("profile", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def profile_command() -> None:
        """Not built yet: exits 2."""
        not_built("profile", "issue 6")
