"""`llmops config`: check a configuration file, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.common import guarded
from llmops.defaults import DEFAULT_CONFIG_FILE

#: what an empty llmops.yaml means, said by ``config check``
EMPTY_MEANS = (
    "every default applies: no providers, so loadtest and eval target the built-in mock"
    " server; limits, retry, breaker and state at their defaults"
    " (`llmops config schema` lists each default)"
)


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
        """Validate FILE…: one line per problem (file:line: key.path: got ..., expected ...), every
        problem of a file in one pass (unknown keys, bad values and references to undefined
        providers). An empty file is valid: it says so, and that every default applies.

        Several files (as the pre-commit hook passes them) are checked in turn, up to the first
        that is not valid. Exit codes: 0 valid; 2 not valid or not readable.
        """
        from llmops.config import load_config  # pydantic: loaded when a command needs it
        from llmops.yamlsafe import load_yaml_text, read_text

        for file in files or [Path(DEFAULT_CONFIG_FILE)]:
            cfg = load_config(file)
            if load_yaml_text(read_text(file, "llmops configuration"), str(file))[0] in (None, {}):
                typer.echo(f"{file}: ok, but empty: {EMPTY_MEANS}")
                continue
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
