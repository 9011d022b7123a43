"""`llmops config`: check a configuration file, print its JSON Schema."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Validate llmops.yaml or print its JSON Schema.", no_args_is_help=True)
    app.add_typer(config_app, name="config")
