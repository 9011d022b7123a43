"""Shared CLI plumbing: error printing, exit codes, the --debug switch.

Exit codes, the same for every command: 0 success; 1 a failed check, SLO or regression (or
another llmops error); 2 bad input or configuration (usage errors too); 130 interrupted; 141,
quietly, when the reader of stdout went away (``| head``), as the Unix tools.
``--debug`` (or ``LLMOPS_DEBUG=1``) adds the traceback to an error and changes nothing else.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from llmops.errors import ConfigError, InputError, LlmopsError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: a reader closed our stdout (``llmops profile … | head -1``): 128 + SIGPIPE, as the Unix tools
EXIT_BROKEN_PIPE = 141


class _Console(Console):
    """rich's console, but a closed stdout raises :class:`BrokenPipeError` for
    :func:`run_guarded` to end quietly with 141 (rich itself would exit 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def out_console(*, width: int | None = None) -> Console:
    """The console a command prints its results on (stdout)."""
    return _Console(highlight=False, width=width)


err_console = _Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


_debug_flag: list[bool] = [False]  # set by run_guarded when --debug is on the command line


def switch(name: str, help: str, *short: str) -> Any:
    """An on/off option spelt ``--NAME/--no-NAME`` (no value: ``--NAME=true`` is refused by
    click, so the help shows no ``<bool>`` type that would suggest one)."""
    return typer.Option(f"--{name}/--no-{name}", *short, metavar="", help=help)


def debug_enabled() -> bool:
    """Whether tracebacks are wanted (``--debug`` on the command line or ``LLMOPS_DEBUG=1``)."""
    return _debug_flag[0] or os.environ.get("LLMOPS_DEBUG") == "1"


def fail_input(message: str) -> NoReturn:
    """Print one line about bad input and exit 2."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def report_error(exc: LlmopsError) -> int:
    """Print ``exc`` as ``error:`` lines (with the traceback under --debug); its exit code."""
    if debug_enabled():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    for line in str(exc).splitlines() or [type(exc).__name__]:
        err_console.print(
            f"[bold red]error:[/] {escape(line)}", markup=True, soft_wrap=True, highlight=False
        )
    return EXIT_BAD_INPUT if isinstance(exc, (ConfigError, InputError)) else EXIT_FAILED


class ReaderGone(Exception):
    """stdout's reader went away; not an :class:`OSError`, so click does not exit 1 on it."""


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that an llmops error ends it with its line(s) and exit code, the same
    whether it runs under :func:`run_guarded` or Typer's own runner (tests' ``CliRunner``),
    and a closed stdout reaches :func:`run_guarded` (exit 141, quietly)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LlmopsError as exc:
            raise typer.Exit(report_error(exc)) from exc
        except BrokenPipeError as exc:
            raise ReaderGone from exc

    return run


@contextlib.contextmanager
def ctrl_c_sets(stop: Any) -> Iterator[None]:
    """While the block runs (inside an asyncio event loop), the first SIGINT sets ``stop`` (an
    ``anyio.Event``: the workflow ends with what finished, marked interrupted) and gives SIGINT
    back to Python, so that a second Ctrl-C raises ``KeyboardInterrupt`` at once."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()

    def first() -> None:
        loop.remove_signal_handler(signal.SIGINT)
        stop.set()

    try:
        loop.add_signal_handler(signal.SIGINT, first)
    except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _quiet_broken_pipe() -> int:
    """End quietly when stdout's reader has gone: point stdout at /dev/null so that the flush
    at exit does not fail again with a message (the recipe of Python's ``signal`` docs)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def run_guarded(app: typer.Typer) -> int:
    """Run the app; print llmops errors as lines without a traceback unless LLMOPS_DEBUG/--debug."""
    _debug_flag[0] = "--debug" in sys.argv
    if _debug_flag[0]:
        sys.argv.remove("--debug")
    try:
        # with standalone_mode=False click returns the code of a typer.Exit instead of raising it
        returned = app(standalone_mode=False)
        if isinstance(returned, int):
            return returned
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return EXIT_INTERRUPTED
    except (BrokenPipeError, ReaderGone):
        return _quiet_broken_pipe()
    except typer.Exit as exc:
        return int(exc.exit_code)
    except LlmopsError as exc:
        return report_error(exc)
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
