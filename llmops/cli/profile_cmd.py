"""`llmops profile LOG...`: which input segments fail more, from production logs.

Bad input raises :class:`~llmops.errors.InputError`, which ``run_guarded`` prints as one line and
maps to exit 2 (``fail_input``'s ``typer.Exit`` is swallowed under ``standalone_mode=False``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from llmops.cli.common import err_console
from llmops.errors import InputError
from llmops.workflows.profile.formats import FORMATS

#: inputs at least this large get a progress bar
PROGRESS_MIN_BYTES = 32 << 20

HELP = f"""Profile the inputs of LLM calls in JSON-lines logs and say which input segments fail more.

LOG is a file, a glob, a .gz file or - for stdin. Formats are recognised per record
({", ".join(FORMATS)}) or forced with --format. Plain structlog/pino logs are mapped with
--field input=PATH --field outcome=PATH and, optionally, --fail-if RULE.

Reports are written to REPORT_DIR as profile.json, profile.md and profile.html.

Exit codes: 0 done (findings or not), 2 bad input or nothing readable, 130 interrupted.
"""


def _time(value: str | None, flag: str) -> float | None:
    from llmops.workflows.profile.calls import parse_time

    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise InputError(
            f"{flag} {value!r}: expected an ISO-8601 time (2025-03-01T10:00:00Z) or epoch seconds"
        )
    return parsed


def _total_bytes(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total


def register(app: typer.Typer) -> None:
    @app.command("profile", help=HELP)
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
        language: Annotated[
            bool, typer.Option("--language/--no-language", help="Detect input language (offline).")
        ] = True,
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
            int | None, typer.Option(min=1, help="Processes for large files (default: CPU count).")
        ] = None,
        report_dir: Annotated[Path, typer.Option(help="Where the reports are written.")] = Path(
            "reports"
        ),
    ) -> None:
        # imported here, so `llmops --help` and the other commands never load them
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        from llmops.workflows.profile import ProfileOptions, profile_logs
        from llmops.workflows.profile.analysis import Thresholds

        options = ProfileOptions(
            format=format,
            fields=tuple(field or ()),
            fail_if=fail_if,
            detect_language=language,
            since=_time(since, "--since"),
            until=_time(until, "--until"),
            thresholds=Thresholds(min_support, min_effect / 100.0, alpha),
            workers=workers,
        )
        console = Console(highlight=False)
        total = _total_bytes([p for p in logs if p != "-"])
        if total >= PROGRESS_MIN_BYTES:
            columns = (
                "{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
            )
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("reading", total=total)
                result = profile_logs(
                    logs, options, baseline=baseline or (),
                    on_progress=lambda done, _total: bar.update(task, completed=done),
                )  # fmt: skip
        else:
            result = profile_logs(logs, options, baseline=baseline or ())
        from llmops.reporters.profile import (
            render_html,
            render_json,
            render_markdown,
            render_terminal,
        )

        render_terminal(result, console)
        try:
            report_dir.mkdir(parents=True, exist_ok=True)
            written = []
            for name, text in (
                ("profile.json", render_json(result)),
                ("profile.md", render_markdown(result)),
                ("profile.html", render_html(result)),
            ):
                (report_dir / name).write_text(text, encoding="utf-8")
                written.append(str(report_dir / name))
        except OSError as exc:
            raise InputError(f"{report_dir}: cannot write reports ({exc.strerror or exc})") from exc
        console.print(f"\nreports: {', '.join(written)}")
