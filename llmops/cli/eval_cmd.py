"""`llmops eval`: run an eval suite, record it, and with --compare give the drift verdict."""

from __future__ import annotations

import random
import shutil
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ctrl_c_sets,
    err_console,
    guarded,
    switch,
)
from llmops.errors import InputError, LlmopsError
from llmops.stores.history import DEFAULT_HISTORY

# The engine, the configuration schema (pydantic), the statistics (scipy) and the charts
# (matplotlib) load only when an eval actually runs, so that `llmops --help` and the other
# commands start fast.
if TYPE_CHECKING:
    from llmops.workflows.evals.eval import EvalOptions, EvalOutcome
    from llmops.workflows.evals.schedule import Tick
    from llmops.workflows.evals.suite import Suite
    from llmops.workflows.target import Target

#: warnings about a suite as read, printed before the run
MAX_NOTES = 5

HELP = """Run an eval SUITE (a suite file, a promptfoo config, or a shipped suite's name) through
the engine, record the run in the history, and with --compare give the drift verdict against
the rolling window.

Target: --feature NAME or --provider NAME from the config; or --target URL --provider
openai|anthropic --model M; else the suite's target: hint; with none, the built-in mock server.

Reports go to --report-dir (JSON, Markdown, JUnit XML, HTML) unless --no-reports; the Markdown
is also appended to $GITHUB_STEP_SUMMARY when set.

Exit codes: 0 ok; 1 REGRESSION (or WARN with --fail-on warn), a candidate on hold, or no
case answered by the model; 2 bad input or configuration; 130 interrupted."""


def _exit_code(outcome: EvalOutcome, fail_on: str) -> int:
    return EXIT_FAILED if outcome.failed(fail_on) else EXIT_OK


def _write_reports(outcome: EvalOutcome, directory: Path | None, window_s: float) -> None:
    from llmops.cli.reports import append_step_summary, write_reports
    from llmops.reporters import eval_html, eval_json, eval_junit, eval_markdown

    markdown = eval_markdown.render(outcome)
    append_step_summary(markdown)
    if directory is None:
        return
    stem = f"eval-{outcome.run.suite}"
    write_reports(
        directory,
        {
            f"{stem}.json": partial(eval_json.render, outcome),
            f"{stem}.md": markdown,
            f"{stem}.xml": partial(eval_junit.render, outcome),
            f"{stem}.html": partial(eval_html.render, outcome, window_s=window_s),
        },
    )
    err_console.print(f"reports: {directory / stem}.{{json,md,xml,html}}", highlight=False)


def _parse_since(value: str | None) -> float | None:
    """``--baseline-since``: an ISO date or date-time (UTC unless it names a zone) as Unix time."""
    if value is None:
        return None
    from llmops.timestamps import parse_iso

    when = parse_iso(value)
    if when is None:
        raise InputError(
            f"--baseline-since: got {value!r}, expected an ISO date or date-time, e.g. 2026-11-27"
            " or 2026-11-27T09:00"
        )
    return when


class _Job:
    """One eval run as the CLI does it: run with a progress bar, render, report, notify."""

    def __init__(self, suite: Suite, target: Target, opts: EvalOptions, **kw: object) -> None:
        self.suite, self.target, self.opts = suite, target, opts
        self.kw = kw

    async def __call__(self) -> int:
        import sys

        import anyio
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from llmops.reporters import eval_terminal
        from llmops.workflows.evals.eval import run_eval
        from llmops.workflows.evals.notify import notification, notify

        kw = self.kw
        stop = anyio.Event()
        planned = sum(case.repeat or self.suite.defaults.repeat for case in self.suite.cases)
        plain = not err_console.is_terminal  # CI logs: a line per tenth of the trials instead
        tenth = [0]
        with (
            ctrl_c_sets(stop),
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(f"eval {self.suite.name}", total=None)
            # said once Ctrl-C is handled: from here on it yields the partial report
            err_console.print(
                f"llmops eval {self.suite.name} → {self.target.label}: {planned} trials planned",
                highlight=False,
                soft_wrap=True,
            )

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
                if plain and done * 10 // total > tenth[0]:
                    tenth[0] = done * 10 // total
                    print(f"{done}/{total} trials done", file=sys.stderr, flush=True)

            outcome = await run_eval(
                self.suite,
                self.target,
                history=str(kw["history"]) or None,
                options=self.opts,
                seed=int(str(kw["seed"])),
                on_progress=on_progress,
                stop=stop,
            )
        width = shutil.get_terminal_size((110, 24)).columns  # COLUMNS, the terminal, or 110
        text = eval_terminal.render(outcome, width=width, all_cases=bool(kw["all_cases"]))
        typer.echo(text, nl=False)
        _write_reports(outcome, kw["report_dir"], self.opts.window_s)  # type: ignore[arg-type]
        if outcome.interrupted is not None:
            err_console.print(
                f"{outcome.interrupted}: the cases above are partial, not compared and not "
                "recorded",
                highlight=False,
                soft_wrap=True,
            )
            return EXIT_INTERRUPTED
        code = _exit_code(outcome, self.opts.fail_on)
        if outcome.no_answer is not None:
            err_console.print(
                f"[red]eval failed:[/] {outcome.no_answer}", highlight=False, soft_wrap=True
            )
        url = kw["notify"]
        if url and code != EXIT_OK and outcome.comparison is not None:
            try:
                await notify(str(url), notification(outcome.run, outcome.comparison))
                err_console.print("notified the webhook", highlight=False)
            except LlmopsError as exc:
                err_console.print(f"[yellow]warning:[/] {exc}")
        return code


def register(app: typer.Typer) -> None:
    """Add ``llmops eval`` to ``app``."""

    @app.command("eval", help=HELP)
    @guarded
    def eval_command(
        suite: Annotated[str, typer.Argument(help="Suite file, promptfoo config or shipped name.")] = "support-classifier",
        config: Annotated[Path | None, typer.Option("--config", "-c", help="llmops.yaml (default: ./llmops.yaml if present).")] = None,
        feature: Annotated[str | None, typer.Option(help="Call this feature of the config.")] = None,
        provider: Annotated[str | None, typer.Option(help="A provider of the config; with --target, openai or anthropic.")] = None,
        target: Annotated[str | None, typer.Option("--target", help="Base URL of an OpenAI/Anthropic-compatible API.")] = None,
        model: Annotated[str | None, typer.Option(help="Model id to request.")] = None,
        api_key_env: Annotated[str | None, typer.Option(help="Environment variable holding the API key (with --target).")] = None,
        mock_profile: Annotated[str, typer.Option(help="Mock profile (name or file) when no target is given.")] = "default",
        seed: Annotated[int, typer.Option(help="Mock seed.")] = 0,
        history: Annotated[str, typer.Option(envvar="LLMOPS_EVAL_HISTORY", help="SQLite path or postgresql:// URL of the eval history.")] = DEFAULT_HISTORY,
        record: Annotated[bool, switch("record", "Store this run in the history (--no-record: do not).")] = True,
        compare: Annotated[bool, switch("compare", "Compare with the rolling window and give a verdict.")] = False,
        window: Annotated[str, typer.Option(help="Rolling window for --compare.")] = "7d",
        any_target: Annotated[bool, typer.Option("--any-target", help="Compare with runs of any target and model request (default: only the same ones).")] = False,
        baseline_since: Annotated[str | None, typer.Option(help="Compare only with runs since this time (ISO date or date-time, UTC unless given), e.g. once a model update is accepted.")] = None,
        threshold: Annotated[float, typer.Option(help="Drop (points) that counts as a regression.")] = 3.0,
        alpha: Annotated[float, typer.Option(help="Significance level of the paired test.")] = 0.01,
        fail_on: Annotated[str, typer.Option(help="Exit 1 on: regression | warn.")] = "regression",
        no_rerun: Annotated[bool, typer.Option("--no-rerun", help="With --compare: do not re-run suspect cases when a drop is not yet conclusive (by default at most one more suite's worth of calls).")] = False,
        rerun_max_calls: Annotated[int | None, typer.Option(min=0, help="Calls the re-run may make (default: as many as the run made).")] = None,
        max_cost: Annotated[float | None, typer.Option(min=0.0, help="USD the re-run may cost at list prices (default: no cap; local targets cost nothing).")] = None,
        every: Annotated[str | None, typer.Option(help="Keep running on this schedule, e.g. 24h.")] = None,
        jitter: Annotated[str | None, typer.Option(help="Random delay added to each scheduled run (default 5% of --every).")] = None,
        max_runs: Annotated[int | None, typer.Option(min=1, help="With --every: stop after this many runs.")] = None,
        notify_url: Annotated[str | None, typer.Option("--notify", help="Webhook to POST a failing verdict to (Slack-compatible).")] = None,
        candidate_model: Annotated[str | None, typer.Option(help="Also run on this model; paired promote/hold verdict.")] = None,
        concurrency: Annotated[int, typer.Option(min=1, help="Trials in flight.")] = 8,
        report_dir: Annotated[Path, typer.Option(help="Where reports are written (JSON, Markdown, JUnit, HTML).")] = Path("reports"),
        reports: Annotated[Path | None, typer.Option("--reports", hidden=True, help="Old spelling of --report-dir.")] = None,
        no_reports: Annotated[bool, typer.Option("--no-reports", help="Write no report files.")] = False,
        all_cases: Annotated[bool, switch("all-cases", "List passing cases too.")] = False,
    ) -> None:  # fmt: skip
        import anyio

        from llmops.config import load_config
        from llmops.durations import parse_duration
        from llmops.engine.clock import AnyioClock
        from llmops.workflows.evals.compare import DAY
        from llmops.workflows.evals.eval import EvalOptions
        from llmops.workflows.evals.loader import load_suite
        from llmops.workflows.evals.schedule import run_every
        from llmops.workflows.target import resolve_target

        if notify_url is not None and not notify_url.startswith(("http://", "https://")):
            # checked now, not after the whole suite has run
            raise InputError("--notify: expected a webhook URL starting with http:// or https://")
        window_s = parse_duration(window, where="--window")
        opts = EvalOptions(
            compare=compare,
            window_s=window_s,
            threshold=threshold / 100.0,
            alpha=alpha,
            concurrency=concurrency,
            record=record,
            candidate_model=candidate_model,
            history_days=max(30.0, window_s / DAY),
            baseline_since=_parse_since(baseline_since),
            fail_on=fail_on,
            same_target=not any_target,
            rerun=not no_rerun,
            rerun_max_calls=rerun_max_calls,
            max_cost=max_cost,
        )
        loaded = load_suite(suite)
        for note in loaded.notes[:MAX_NOTES]:
            err_console.print(f"[yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
        if len(loaded.notes) > MAX_NOTES:
            err_console.print(
                f"[yellow]warning:[/] and {len(loaded.notes) - MAX_NOTES} more like these",
                highlight=False,
            )
        if target is None and feature is None and provider is None and config is None:
            from llmops.workflows.evals.promptfoo import PromptfooSuite, provider_target

            # a promptfoo config's providers: name the API when no target is given
            mapped = provider_target(loaded) if isinstance(loaded, PromptfooSuite) else None
            if mapped is not None:
                target, provider, model = mapped[0], mapped[1], model or mapped[2]
        resolved = resolve_target(
            load_config(config), url=target, provider=provider, model=model, feature=feature,
            api_key_env=api_key_env, hint=loaded.target, mock_profile=mock_profile,
        )  # fmt: skip
        job = _Job(
            loaded, resolved, opts, history=history, seed=seed, all_cases=all_cases,
            report_dir=None if no_reports else (reports or report_dir), notify=notify_url,
        )  # fmt: skip
        if every is None:
            raise typer.Exit(anyio.run(job))
        every_s = parse_duration(every, where="--every")
        jitter_s = parse_duration(jitter, where="--jitter") if jitter else every_s * 0.05
        lock = Path(".llmops") / f"eval-{loaded.name}.lock"

        def on_tick(tick: Tick) -> None:
            detail = f": {tick.detail}" if tick.detail else ""
            err_console.print(f"scheduled run {tick.outcome} (exit {tick.exit_code}){detail}")

        async def schedule() -> int:
            ticks = await run_every(
                job, every_s, clock=AnyioClock(), lock_path=lock, jitter_s=jitter_s,
                rng=random.Random(), max_runs=max_runs, on_tick=on_tick,
            )  # fmt: skip
            last = ticks[-1] if ticks else None
            if last is None or last.exit_code is None:
                return EXIT_BAD_INPUT if last is not None and last.outcome == "failed" else EXIT_OK
            return last.exit_code

        raise typer.Exit(anyio.run(schedule))
