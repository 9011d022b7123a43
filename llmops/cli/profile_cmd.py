"""`llmops profile LOG...`: which input segments fail more, from production logs.

Bad input raises :class:`~llmops.errors.InputError`, which :func:`~llmops.cli.common.guarded`
prints as one line with exit 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops.cli.common import EXIT_INTERRUPTED, err_console, guarded, out_console, switch
from llmops.errors import InputError
from llmops.redact import redact_urls
from llmops.sigint import sigint_handled
from llmops.workflows.profile import FORMATS

if TYPE_CHECKING:
    from rich.console import Console

    from llmops.workflows.profile import ProfileResult

#: example inputs kept per segment bin and outcome with --export-cases
EXPORT_SAMPLES = 8
#: inputs at least this large get a progress bar
PROGRESS_MIN_BYTES = 32 << 20

HELP = f"""Profile the inputs of LLM calls in JSON-lines logs and say which input segments fail more.

LOG is a file, a glob, a .gz file, - for stdin, or a URL (s3://, gs://, az://: fsspec and the
storage backend installed). --dask ADDRESS (or --dask local) reads the files, and byte ranges of
large ones, in tasks on a Dask cluster, with the same result. Formats are recognised per record
({", ".join(FORMATS)}) or forced with --format. Plain structlog/pino logs are mapped with
--field input=PATH --field outcome=PATH and, optionally, --fail-if RULE.

Reports are written to --report-dir as profile.json, profile.md and profile.html.
--export-cases FILE writes draft eval cases: per finding, a few real inputs of its segment
(failed and passed, secrets and e-mail addresses masked), for a person to add the checks.

Exit codes: 0 done (findings or not), 2 bad input or nothing readable, 130 interrupted.
"""


def _ctrl_c_sets(stop: threading.Event) -> contextlib.AbstractContextManager[None]:
    """While the block runs, the first SIGINT sets ``stop`` (reading ends, what was read is
    reported) and gives SIGINT back to Python: a second Ctrl-C stops at once."""

    def first(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        stop.set()

    return sigint_handled(first)


class _PlainProgress:
    """Off a terminal (CI logs): a line per tenth of the bytes read, instead of a bar, with
    the files finished once known (``files``: done, total)."""

    def __init__(self, terminal: bool) -> None:
        self.terminal = terminal
        self.tenth = 0
        self.files: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.terminal or total < PROGRESS_MIN_BYTES or done * 10 // total <= self.tenth:
            return
        self.tenth = done * 10 // total
        files = f", {self.files[0]} of {self.files[1]} files" if self.files else ""
        line = f"read {done / 1e6:,.1f} of {total / 1e6:,.1f} MB{files}"
        print(line, file=sys.stderr, flush=True)


def _time(value: str | None, flag: str) -> float | None:
    from llmops.timestamps import parse_time

    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise InputError(
            f"{flag} {value!r}: expected an ISO-8601 time (2025-03-01T10:00:00Z) or epoch seconds"
        )
    return parsed


def _export(result: ProfileResult, path: Path, console: Console) -> None:
    from llmops.cli.reports import write_atomic
    from llmops.workflows.profile.export import draft_suite

    if not result.findings or result.samples is None:
        console.print(f"--export-cases: no finding, nothing written to {path}")
        return
    text, count = draft_suite(result, result.samples, name=_suite_name(path))
    if count == 0:
        console.print(f"--export-cases: no kept input matched a finding, nothing written to {path}")
        return
    write_atomic(path, text)
    console.print(f"draft eval cases: {path} ({count} cases; add their checks)")


def _suite_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-")
    return name or "profile-findings"


def _total_bytes(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total


def register(app: typer.Typer) -> None:
    @app.command("profile", help=HELP)
    @guarded
    def profile_command(
        logs: Annotated[
            list[str], typer.Argument(help="Log files, globs, .gz files or - for stdin.")
        ],
        since: Annotated[str | None, typer.Option(help="Only calls at or after this time.")] = None,
        until: Annotated[str | None, typer.Option(help="Only calls before this time.")] = None,
        baseline: Annotated[
            list[str] | None, typer.Option(help="Baseline logs: report the input shift (PSI).")
        ] = None,
        format: Annotated[
            str | None, typer.Option("--format", help=f"Force a format: {', '.join(FORMATS)}.")
        ] = None,
        field: Annotated[
            list[str] | None,
            typer.Option("--field", help="NAME=DOTTED.PATH for plain structured logs."),
        ] = None,
        fail_if: Annotated[
            str | None,
            typer.Option("--fail-if", help="Failure rule: PATH=V1,V2 | PATH!=V | PATH>=N | PATH."),
        ] = None,
        language: Annotated[bool, switch("language", "Detect input language (offline).")] = True,
        min_support: Annotated[
            int, typer.Option(min=1, help="Fewest requests in a segment to test it.")
        ] = 20,
        min_effect: Annotated[
            float,
            typer.Option(min=0.0, max=100.0, help="Smallest difference, in points, to report."),
        ] = 5.0,
        alpha: Annotated[
            float,
            typer.Option(min=0.0, max=1.0, help="False discovery rate (BH-adjusted p below this)."),
        ] = 0.05,
        workers: Annotated[
            int | None,
            typer.Option(
                min=1, help="Processes for large files, or --dask local's workers (default: CPUs)."
            ),
        ] = None,
        report_dir: Annotated[
            Path, typer.Option(help="Where reports are written (JSON, Markdown, HTML).")
        ] = Path("reports"),
        export_cases: Annotated[
            Path | None,
            typer.Option(
                help="Write draft eval cases (suite YAML) from each finding's inputs to FILE."
            ),
        ] = None,
        dask: Annotated[
            str | None,
            typer.Option(
                help="Read on a Dask cluster: a scheduler address (tcp://host:8786) or 'local'."
            ),
        ] = None,
        dask_timeout: Annotated[
            float, typer.Option(min=0.1, help="Seconds to wait for the Dask scheduler.")
        ] = 10.0,
    ) -> None:
        # imported here, so `llmops --help` and the other commands never load them
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        from llmops.workflows.profile import ProfileOptions, Thresholds, profile_logs

        options = ProfileOptions(
            format=format,
            fields=tuple(field or ()),
            fail_if=fail_if,
            detect_language=language,
            since=_time(since, "--since"),
            until=_time(until, "--until"),
            thresholds=Thresholds(min_support, min_effect / 100.0, alpha),
            workers=workers,
            samples=EXPORT_SAMPLES if export_cases is not None else 0,
            dask=dask,
            dask_timeout=dask_timeout,
        )
        console = out_console()
        total = _total_bytes([p for p in logs if p != "-" and "://" not in p])
        stop = threading.Event()
        remote = any("://" in p for p in logs)  # their size is known once listed
        if total >= PROGRESS_MIN_BYTES or dask is not None or remote:
            columns = (
                "{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
            )
            if total >= PROGRESS_MIN_BYTES:
                where = f" on Dask ({redact_urls(dask)})" if dask is not None else ""
                err_console.print(
                    f"llmops profile: reading {total / 1e6:,.1f} MB{where}"
                    " (Ctrl-C stops and reports what was read)",
                    highlight=False,
                    soft_wrap=True,
                )
            with Progress(*columns, console=err_console, transient=True) as bar, _ctrl_c_sets(stop):
                task = bar.add_task("reading", total=total)
                plain = _PlainProgress(err_console.is_terminal)

                def on_progress(done: int, grand: int) -> None:
                    bar.update(task, completed=done, total=grand)
                    plain(done, grand)

                def on_files(done: int, count: int) -> None:
                    bar.update(task, description=f"reading, {done}/{count} files")
                    plain.files = (done, count)

                result = profile_logs(
                    logs, options, baseline=baseline or (), on_progress=on_progress,
                    stop=stop.is_set, on_files=on_files,
                )  # fmt: skip
        else:
            with _ctrl_c_sets(stop):
                result = profile_logs(logs, options, baseline=baseline or (), stop=stop.is_set)
        from llmops.cli.reports import write_reports
        from llmops.reporters.profile import (
            render_html,
            render_json,
            render_markdown,
            render_terminal,
        )

        render_terminal(result, console)
        written = write_reports(
            report_dir,
            {
                "profile.json": partial(render_json, result),
                "profile.md": partial(render_markdown, result),
                "profile.html": partial(render_html, result),
            },
        )
        console.print(f"\nreports: {', '.join(str(p) for p in written)}")
        if export_cases is not None:
            _export(result, export_cases, console)
        if result.interrupted is not None:
            err_console.print(f"{result.interrupted}: the reports above are partial")
            raise typer.Exit(EXIT_INTERRUPTED)
