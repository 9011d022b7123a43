"""`llmops config`: check a configuration file, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.common import guarded
from llmops.defaults import DEFAULT_CONFIG_FILE


def register(app: typer.Typer) -> None:
    """Add the ``config`` command group (``check``, ``schema``) to ``app``."""
    config_app = typer.Typer(
        help="Validate llmops.yaml or print its JSON Schema.", no_args_is_help=True
    )
    app.add_typer(config_app, name="config")

    @config_app.command("check")
    @guarded
    def check(
        files: Annotated[
            list[Path] | None,
            typer.Argument(help="The configuration files to validate (default llmops.yaml)."),
        ] = None,
    ) -> None:
        """Validate FILE…: one line per problem (file:line: key.path: got ..., expected ...).

        Several files (as the pre-commit hook passes them) are checked in turn, up to the first
        that is not valid. Exit codes: 0 valid; 2 not valid or not readable.
        """
        from llmops.config import load_config  # pydantic: loaded when a command needs it

        for file in files or [Path(DEFAULT_CONFIG_FILE)]:
            cfg = load_config(file)
            counts = f"{len(cfg.providers)} provider(s), {len(cfg.features)} feature(s)"
            typer.echo(f"{file}: ok ({counts})")

    @config_app.command("schema")
    @guarded
    def schema() -> None:
        """Print the JSON Schema of llmops.yaml (point your editor's YAML plugin at it).

        Exit codes: 0 printed.
        """
        from llmops.config import json_schema

        typer.echo(json.dumps(json_schema(), indent=2))
