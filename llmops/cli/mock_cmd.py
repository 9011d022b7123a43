"""`llmops mock`: placeholder until issue 3 lands."""

from __future__ import annotations

import typer

from llmops.cli.common import not_built


def register(app: typer.Typer) -> None:
    @app.command("mock", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def mock_command() -> None:
        """Not built yet: exits 2."""
        not_built("mock", "issue 3")
