"""``llmops runbook check|init|render``: parse, call the workflow, render, write, exit.

Exit codes of ``check``: 0 ready, 1 not ready (a fail, stale or inconclusive answer; a warning
too under ``--fail-on warn``), 2 bad configuration or options, 3 the check itself could not run,
130 interrupted (Ctrl-C: the answers given so far are reported, marked interrupted).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from llmops.cli.common import EXIT_BAD_INPUT, err_console, guarded
from llmops.errors import ConfigError, InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmops.workflows.runbook import RunbookResult
    from llmops.workflows.runbook.model import Answer

#: the check itself could not run
EXIT_CHECK_FAILED = 3

_EXITS = (
    "Exit codes: 0 ready, 1 not ready, 2 bad configuration, 3 the check could not run, "
    "130 interrupted."
)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The llmops.yaml to check.")]
FeatureOpt = Annotated[
    list[str] | None, typer.Option("--feature", help="Only this feature (repeatable).")
]
NoDrillsOpt = Annotated[
    bool, typer.Option("--no-drills", help="Check the configuration and evidence only.")
]


def _run(
    config: Path,
    feature: list[str] | None,
    question: str | None,
    drills: bool,
    waivers: bool,
    fail_on: str,
    on_answer: Callable[[str, Answer], None] | None = None,
) -> RunbookResult:
    if fail_on not in ("fail", "warn"):
        raise InputError(f"--fail-on: got {fail_on!r}, expected fail or warn")
    from llmops.config import load_config
    from llmops.workflows.runbook import check_runbook, parse_questions

    cfg = load_config(config)
    questions = parse_questions(question)
    try:
        return check_runbook(
            cfg,
            config_path=str(config),
            features=feature or None,
            question_numbers=questions,
            drills=drills,
            waivers=waivers,
            fail_on="warn" if fail_on == "warn" else "fail",
            on_answer=on_answer,
        )
    except (ConfigError, InputError):
        raise
    except Exception as exc:  # the check itself broke
        err_console.print(
            f"[bold red]error:[/] the check could not run: {escape(str(exc))}", soft_wrap=True
        )
        raise typer.Exit(EXIT_CHECK_FAILED) from exc


def register(app: typer.Typer) -> None:
    runbook = typer.Typer(
        name="runbook",
        help="Every runbook question answered by evidence or a drill; the on-call runbook.\n\n"
        + _EXITS,
        no_args_is_help=True,
    )
    app.add_typer(runbook)

    @runbook.command("check")
    @guarded
    def check_command(
        config: ConfigOpt = Path("llmops.yaml"),
        feature: FeatureOpt = None,
        question: Annotated[
            str | None, typer.Option(help="Only these questions, e.g. 1,3 (default all six).")
        ] = None,
        no_drills: NoDrillsOpt = False,
        fail_on: Annotated[str, typer.Option(help="Exit 1 on: fail | warn.")] = "fail",
        no_waivers: Annotated[
            bool, typer.Option("--no-waivers", help="Ignore every waiver (audits).")
        ] = False,
        report_dir: Annotated[
            Path, typer.Option(help="Directory for runbook.json, runbook-junit.xml, runbook.md.")
        ] = Path("reports"),
        reports: Annotated[
            Path | None,
            typer.Option("--reports", hidden=True, help="Old spelling of --report-dir."),
        ] = None,
        no_reports: Annotated[bool, typer.Option("--no-reports", help="Write no files.")] = False,
    ) -> None:
        """Answer the six runbook questions for every feature; the exit code gates CI.

        Exit codes: 0 ready, 1 not ready, 2 bad configuration, 3 the check could not run, 130
        interrupted (the answers given so far are reported).
        """
        from llmops.cli.reports import append_step_summary, write_reports
        from llmops.reporters import runbook_json, runbook_junit, runbook_markdown, runbook_terminal

        def on_answer(name: str, answer: Answer) -> None:  # progress; Ctrl-C keeps these
            err_console.print(f"{name} q{answer.question}: {answer.status}", highlight=False)

        result = _run(config, feature, question, not no_drills, not no_waivers, fail_on, on_answer)
        typer.echo(runbook_terminal.render(result, color=sys.stdout.isatty()), nl=False)
        if result.interrupted is not None:
            err_console.print(f"{result.interrupted}: the answers above are partial")
        markdown = runbook_markdown.render(result)
        if not no_reports:
            write_reports(
                reports or report_dir,
                {
                    "runbook.json": lambda: runbook_json.render(result),
                    "runbook-junit.xml": lambda: runbook_junit.render(result),
                    "runbook.md": markdown,
                },
            )
        append_step_summary(markdown)
        raise typer.Exit(result.exit_code)

    @runbook.command("render")
    @guarded
    def render_command(
        config: ConfigOpt = Path("llmops.yaml"),
        output: Annotated[Path, typer.Option(help="Where to write the runbook.")] = Path(
            "RUNBOOK.md"
        ),
        feature: FeatureOpt = None,
        no_drills: NoDrillsOpt = False,
    ) -> None:
        """Write RUNBOOK.md for on-call people from the config and a fresh check.

        Failed or stale answers are marked in it. Exit codes: 0 written, 2 bad configuration,
        3 the check could not run.
        """
        from llmops.cli.reports import write_atomic
        from llmops.config import load_config
        from llmops.workflows.runbook.render import render_runbook

        result = _run(config, feature, None, not no_drills, True, "fail")
        write_atomic(output, render_runbook(load_config(config), result))
        verdict = "ready" if result.ready else "not ready"
        err_console.print(f"wrote {output} (the check says: {verdict})", highlight=False)

    @runbook.command("init")
    @guarded
    def init_command(config: ConfigOpt = Path("llmops.yaml")) -> None:
        """Add a commented runbook: section for every feature; answers already there are kept.

        Exit codes: 0 done, 2 bad configuration.
        """
        from llmops.cli.reports import write_atomic
        from llmops.config import load_config
        from llmops.workflows.runbook.init import add_runbook_section

        cfg = load_config(config)
        if not cfg.features:
            err_console.print(f"{config}: no features defined: nothing to add")
            raise typer.Exit(EXIT_BAD_INPUT)
        text = config.read_text(encoding="utf-8")
        new, added = add_runbook_section(text, list(cfg.features), source=str(config))
        if not added:
            err_console.print(f"{config}: every feature already has a runbook entry")
            return
        write_atomic(config, new)
        load_config(config)  # what was written still loads
        err_console.print(
            f"{config}: added runbook entries for {', '.join(added)}; fill in the TODOs",
            highlight=False,
        )
