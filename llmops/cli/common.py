"""Shared CLI plumbing: error printing, exit codes, the --debug switch."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer
from rich.console import Console

from llmops.errors import ConfigError, InputError, LlmopsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

err_console = Console(stderr=True, highlight=False)


def fail_input(message: str) -> NoReturn:
    """Print one line about bad input and exit 2."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def not_built(command: str, issue: str) -> NoReturn:
    err_console.print(f"llmops {command}: not built yet ({issue}).", soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def run_guarded(app: typer.Typer) -> int:
    """Run the app; print llmops errors as lines without a traceback unless LLMOPS_DEBUG/--debug."""
    debug = "--debug" in sys.argv or os.environ.get("LLMOPS_DEBUG") == "1"
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
    try:
        # with standalone_mode=False click returns the code of a typer.Exit instead of raising it
        returned = app(standalone_mode=False)
        if isinstance(returned, int):
            return returned
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (ConfigError, InputError) as exc:
        if debug:
            raise
        for line in str(exc).splitlines():
            err_console.print(
                f"[bold red]error:[/] {line}", markup=True, soft_wrap=True, highlight=False
            )
        return EXIT_BAD_INPUT
    except LlmopsError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        return EXIT_FAILED
    except typer.Abort:
        err_console.print("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:
        # usage errors (bad option, missing argument) arrive here under standalone_mode=False;
        # typer vendors click, so its exceptions are typer's, not click's
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", EXIT_BAD_INPUT))
    return EXIT_OK
