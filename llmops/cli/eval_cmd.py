"""`llmops eval`: placeholder until issue 5 lands."""

from __future__ import annotations

import typer

from llmops.cli.common import not_built


def register(app: typer.Typer) -> None:
    @app.command(
        "eval", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def eval_command() -> None:
        """Not built yet: exits 2."""
        not_built("eval", "issue 5")
