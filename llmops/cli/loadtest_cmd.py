"""``llmops loadtest``: the concurrency ladder. Parse, pick the target, guard the cost, run
:func:`llmops.workflows.loadtest.run_loadtest`, render, write reports, exit."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from llmops.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ctrl_c_sets,
    err_console,
    fail_input,
    guarded,
    out_console,
    switch,
)

# The load generator (the engine, HTTP clients, the mock server) loads when a load test runs, so
# that `llmops --help` and the other commands start fast.
if TYPE_CHECKING:
    from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, Target
    from llmops.workflows.service import ServiceTarget

HELP = """Find where the target stops coping: run level after level of concurrent clients
(or --rates of Poisson arrivals), measure success, latency and throughput, and report the
knee, the throughput ceiling and a recommended queue limit.

With no --target or --config, the built-in mock server (profile 'default') is started on a
free loopback port. Reports go to --report-dir (JSON, Markdown, HTML); loadtest-latest.json
is always the last run.

To measure your own feature end to end (its prompt building, retrieval, model calls and
post-processing), name it instead of an API: --target-function app.llm:summarize, or
--target-http http://127.0.0.1:8000/summarize (docs/loadtest-your-service.md). Its cost is
unknown to llmops: name the model it calls with --model, or give --yes.

Ctrl-C stops the run: the levels that finished are still reported (exit 130); a second
Ctrl-C stops at once.

--workers N runs each level in N processes; --shard I/N runs one machine's share and writes a
partial report, and --merge PART... merges the shards' into one report (see the docs: load
tests across cores and machines).

Exit codes: 0 done (SLO met, if given); 1 the SLO was not met at --peak; 2 bad input, or the
cost guard refused; 130 interrupted."""


def _options(**kw: Any) -> LoadtestOptions:
    """The options the flags spell; :class:`LoadtestOptions` checks how they combine."""
    from llmops.durations import parse_duration
    from llmops.workflows.loadtest import LoadtestOptions, parse_levels, parse_rates, parse_slo

    loads: dict[str, Any] = {}
    if kw["levels"] is not None:  # "" is refused by the parser, not read as the default
        loads["levels"] = tuple(parse_levels(kw["levels"]))
    if kw["rates"] is not None:
        loads["rates"] = tuple(parse_rates(kw["rates"]))
    return LoadtestOptions(
        **loads,
        requests=kw["requests"],
        duration_s=(
            parse_duration(kw["duration"], where="--duration")
            if kw["duration"] is not None
            else None
        ),
        warmup=kw["warmup"],
        stream=kw["stream"],
        max_tokens=kw["max_tokens"],
        raw=kw["raw"],
        timeout_s=parse_duration(kw["timeout"], where="--timeout"),
        stop_on_success_below=kw["stop_on_success_below"],
        slo=tuple(parse_slo(kw["slo"])) if kw["slo"] is not None else (),
        peak=kw["peak"],
        latency_budget_s=(
            parse_duration(kw["latency_budget"], where="--latency-budget")
            if kw["latency_budget"] is not None
            else None
        ),
        seed=kw["seed"],
        shared_state=kw["shared_state"],
    )


@contextlib.contextmanager
def _target(kw: dict[str, Any]) -> Iterator[Target]:
    """The target the options name; the spawned mock server lives as long as the block."""
    from llmops.workflows.target import live_target, resolve_target

    config = None
    if kw["config"] is not None:
        from llmops.config import load_config

        config = load_config(kw["config"])
    profile = kw["mock_profile"]
    service = _service(kw)
    resolved = resolve_target(
        config,
        url=kw["target"],
        provider=kw["provider"],
        model=kw["model"],
        feature=kw["feature"],
        api_key_env=kw["api_key_env"],
        mock_profile=profile,
        config_named=config is not None and service is None,
        service=service,
    )
    with live_target(resolved, seed=kw["seed"]) as live:
        if resolved.mock_profile is not None:
            live = replace(live, label=f"built-in mock (profile {profile}) at {live.base_url}")
        yield live


def _service(kw: dict[str, Any]) -> ServiceTarget | None:
    """The team's function or HTTP service the options name, loaded; None for an API."""
    from llmops.errors import InputError
    from llmops.workflows.service import load_service

    service = load_service(
        kw.get("target_function"),
        kw.get("target_http"),
        method=kw.get("http_method"),
        body=kw.get("http_body"),
        headers=kw.get("http_header") or (),
        success=kw.get("http_success"),
        expect=kw.get("http_expect"),
    )
    if service is not None:
        for flag in ("raw", "shared_state"):
            if kw.get(flag):
                raise InputError(
                    f"--{flag.replace('_', '-')}: goes with an API target; your feature is "
                    "called end to end, through whatever limits it has itself"
                )
    return service


def _write_reports(result: LoadtestResult, report_dir: Path) -> list[Path]:
    from llmops.cli.reports import write_reports
    from llmops.reporters.loadtest_html import render_html
    from llmops.reporters.loadtest_json import render_json
    from llmops.reporters.loadtest_markdown import render_markdown

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    renderers = {"json": render_json, "md": render_markdown, "html": render_html}
    reports = {
        f"loadtest-{stamp}.{ext}": partial(render, result) for ext, render in renderers.items()
    }
    latest = {f"loadtest-{stamp}.{ext}": f"loadtest-latest.{ext}" for ext in renderers}
    return write_reports(report_dir, reports, latest=latest)


def register(app: typer.Typer) -> None:
    """Add ``llmops loadtest`` to ``app``."""

    @app.command("loadtest", help=HELP)
    @guarded
    def loadtest_command(
        levels: Annotated[
            str | None, typer.Option(help="Concurrent clients per level, e.g. 10,25,50,100.")
        ] = None,
        rates: Annotated[
            str | None,
            typer.Option(help="Open loop: requests/s per level (Poisson), e.g. 2,5,10,20."),
        ] = None,
        requests: Annotated[
            int | None,
            typer.Option(help="Measured requests per level (default: max(300, 5 x level))."),
        ] = None,
        duration: Annotated[
            str | None, typer.Option(help="Run each level this long instead, e.g. 30s.")
        ] = None,
        warmup: Annotated[
            int | None,
            typer.Option(
                help="Unmeasured requests at the start of each level (default: one per client)."
            ),
        ] = None,
        stream: Annotated[
            bool,
            switch(
                "stream",
                "Stream answers: measure TTFT, inter-token latency, time per output token.",
            ),
        ] = False,
        wide: Annotated[
            bool,
            switch(
                "wide",
                "One table of every column, however wide (by default, at a narrow terminal the"
                " columns beyond load, success, latency, answers/s and the main error go to"
                " further tables; the JSON and HTML reports keep every column).",
            ),
        ] = False,
        shared_state: Annotated[
            bool,
            switch(
                "shared-state",
                "Use the config's shared state (state: redis): load-test the fleet's real limiter "
                "and breaker. Default: state of the run's own, the fleet's is never touched.",
            ),
        ] = False,
        prompts: Annotated[
            Path | None,
            typer.Option(help="Prompts: .jsonl ({prompt} or {messages}) or text, one per line."),
        ] = None,
        prompt_tokens: Annotated[
            float, typer.Option(help="Synthetic prompts: mean length in tokens (log-normal).")
        ] = 200,
        prompt_sigma: Annotated[
            float, typer.Option(help="Synthetic prompts: sigma of the log length.")
        ] = 0.5,
        max_tokens: Annotated[int, typer.Option(help="max_tokens of every request.")] = 128,
        raw: Annotated[
            bool,
            switch("raw", "Call the bare API: no engine limits, retries, breaker or fallbacks."),
        ] = False,
        config: Annotated[
            Path | None, typer.Option(help="llmops.yaml whose provider or feature to load.")
        ] = None,
        feature: Annotated[
            str | None, typer.Option(help="A feature of the config (--config) to call.")
        ] = None,
        provider: Annotated[
            str | None,
            typer.Option(help="With --target: openai|anthropic; with --config: a provider's name."),
        ] = None,
        target: Annotated[
            str | None, typer.Option(help="Base URL of the API, e.g. https://api.openai.com/v1.")
        ] = None,
        model: Annotated[
            str | None,
            typer.Option(
                help="The model to ask for (with --target, or to override the config's); with"
                " --target-function/--target-http, the model your feature calls (for the cost guard)."
            ),
        ] = None,
        api_key_env: Annotated[
            str | None, typer.Option(help="With --target: NAME of the variable holding the key.")
        ] = None,
        mock_profile: Annotated[
            str, typer.Option(help="Profile of the built-in mock when no target is given.")
        ] = "default",
        # -- the team's own feature as target (docs/loadtest-your-service.md) --
        target_function: Annotated[
            str | None,
            typer.Option(
                metavar="MODULE:FUNCTION",
                help="Load your own Python callable instead of an API: module:function (or"
                " path/file.py:function) taking the prompt (str) and returning the answer"
                " (str, or dict/object with text and usage) or raising to fail. async def is"
                " awaited; plain def runs in worker threads (as many as the level's clients)."
                " Called end to end: no engine limits, retries or breaker; --timeout applies.",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        target_http: Annotated[
            str | None,
            typer.Option(
                metavar="URL|FILE.yaml",
                help="Load your own HTTP service: its URL (a Jinja2 template over prompt), or a"
                " YAML file with url, method, body, headers, success, expect. Called end to"
                " end over loopback or the network; --timeout applies.",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        http_method: Annotated[
            str | None,
            typer.Option(
                metavar="METHOD",
                help="With --target-http: the method (default POST).",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        http_body: Annotated[
            str | None,
            typer.Option(
                metavar="TEMPLATE|@FILE",
                help="With --target-http: the body, a Jinja2 template or @file.j2; write"
                ' {{ prompt | json }} for a JSON string (default {"prompt": {{ prompt | json }}}).',
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        http_header: Annotated[
            list[str] | None,
            typer.Option(
                metavar="'NAME: VALUE'",
                help="With --target-http, repeatable: 'Name: value'; ${VAR} reads the"
                " environment (e.g. 'Authorization: Bearer ${SERVICE_TOKEN}'), never printed.",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        http_success: Annotated[
            str | None,
            typer.Option(
                metavar="CODES",
                help="With --target-http: status codes that count as success (default 2xx;"
                " e.g. 200,201 or 2xx,304).",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        http_expect: Annotated[
            str | None,
            typer.Option(
                metavar="JMESPATH|re:REGEX",
                help="With --target-http: what a successful body must hold too: a JMESPath over"
                " the JSON body that must be non-empty (summary, status == 'ok') or re:REGEX.",
                rich_help_panel="Your feature as target",
            ),
        ] = None,
        stop_on_success_below: Annotated[
            float | None,
            typer.Option(
                help="Stop the ladder when a level's success rate falls below this, e.g. 0.5."
            ),
        ] = None,
        slo: Annotated[
            str | None,
            typer.Option(
                help='SLO checked at --peak, e.g. "p95<=2s,success>=99%". Exit 1 when not met.'
            ),
        ] = None,
        peak: Annotated[
            float | None,
            typer.Option(help="The level the SLO must hold at (default: the highest)."),
        ] = None,
        latency_budget: Annotated[
            str | None,
            typer.Option(help="Latency budget for the Little's-law queue limit, e.g. 2s."),
        ] = None,
        max_cost: Annotated[
            float,
            typer.Option(min=0, help="Refuse runs estimated above this many USD (paid targets)."),
        ] = 1.0,
        yes: Annotated[
            bool,
            switch("yes", "Run even above --max-cost or with an unknown price.", "-y"),
        ] = False,
        prices: Annotated[
            Path | None, typer.Option(help="YAML of model: {input, output} USD per 1M tokens.")
        ] = None,
        timeout: Annotated[
            str,
            typer.Option(
                help="Deadline of one request with --raw, --target-function or --target-http."
            ),
        ] = "60s",
        seed: Annotated[int, typer.Option(help="Seed of synthetic prompts and arrivals.")] = 0,
        report_dir: Annotated[
            Path, typer.Option(help="Where reports are written (JSON, Markdown, HTML).")
        ] = Path("reports"),
        # -- in parts: across cores and machines (docs/distributed-loadtest.md) --------------
        workers: Annotated[
            str, typer.Option(help="Processes running each level's clients: N, or auto (cores).")
        ] = "1",
        shard: Annotated[
            str | None,
            typer.Option(help="Run the I-th of N shares of every level; write a partial report."),
        ] = None,
        start_at: Annotated[
            str | None,
            typer.Option(help="Start the first level then (ISO time, e.g. 2026-01-31T12:00:00Z)."),
        ] = None,
        level_every: Annotated[
            str | None,
            typer.Option(help="With --start-at: time from one level's start to the next's."),
        ] = None,
        barrier_timeout: Annotated[
            str | None,
            typer.Option(
                help="Shards meeting in Redis (state: redis, no --start-at): how long one "
                "waits for the others before a level, then gives up (exit 2). Default 10m."
            ),
        ] = None,
        merge: Annotated[
            bool, switch("merge", "Merge the shards' partial reports PART... into one report.")
        ] = False,
        parts: Annotated[
            list[Path] | None, typer.Argument(help="With --merge: the partial reports.")
        ] = None,
    ) -> None:
        kw = dict(locals())
        from llmops.cli import loadtest_parts

        if merge or parts:
            merged = loadtest_parts.merge_command(merge, parts or [], shard=shard, workers=workers)
            _render(merged, _write_reports(merged, report_dir), wide, "reports")
            raise typer.Exit(EXIT_FAILED if merged.slo_failed else EXIT_OK)
        from llmops.workflows.loadtest import (
            check_cost,
            estimate_cost,
            load_prices,
            load_prompts,
            synthetic_prompts,
        )

        options = _options(**kw)
        plan = loadtest_parts.parts_plan(
            options,
            workers=workers,
            shard=shard,
            start_at=start_at,
            level_every=level_every,
            barrier_timeout=barrier_timeout,
        )
        prompt_set = (
            load_prompts(prompts)
            if prompts is not None
            else synthetic_prompts(prompt_tokens, prompt_sigma, seed=seed)
        )
        price_table = load_prices(prices) if prices is not None else None
        with _target(kw) as tgt:
            estimate = estimate_cost(
                options, prompt_set, tgt.model, local=tgt.local, prices=price_table
            )
            check_cost(estimate, max_cost, yes=yes)
            if plan is None:
                result = _execute(options, tgt, prompt_set, estimate)
            else:
                share = loadtest_parts.run_parts(
                    options, tgt, prompt_set, estimate, plan, _console()
                )
                result = share.result
        if result.interrupted and not result.levels:
            err_console.print("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED)
        if plan is not None and plan.shard is not None:
            if share.gave_up is None or share.records:  # keep the levels that finished
                written = loadtest_parts.write_partial(share, plan, report_dir)
                _render(result, written, wide, "partial report (merge the shards' with --merge)")
            if share.gave_up is not None:  # the other shards never came to a level's barrier
                fail_input(share.gave_up)
            # a shard's share is no verdict on the SLO: the merged report is
            raise typer.Exit(EXIT_INTERRUPTED if result.interrupted else EXIT_OK)
        _report(result, report_dir, wide)


def _report(result: LoadtestResult, report_dir: Path, wide: bool) -> None:
    """Write the reports, render the table and verdict, exit with the run's code."""
    _render(result, _write_reports(result, report_dir), wide, "reports")
    if result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_FAILED if result.slo_failed else EXIT_OK)


def _render(result: LoadtestResult, written: list[Path], wide: bool, what: str) -> None:
    console = _console()
    from llmops.reporters.loadtest_terminal import render_terminal

    render_terminal(result, console, wide=wide)
    console.print(f"[dim]{what}: {', '.join(str(p) for p in written)} (and its -latest copy)[/]")


def _console() -> Console:
    # not a terminal (CI logs, pipes): wide enough for the whole table on one line per level,
    # unless COLUMNS says how wide
    return out_console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)


def _execute(
    options: LoadtestOptions, target: Target, prompt_set: Any, estimate: Any
) -> LoadtestResult:
    """Run :func:`~llmops.workflows.loadtest.run_loadtest` with the live display; the first
    Ctrl-C asks it to stop (it returns what finished, marked interrupted), a second one
    stops at once."""
    from llmops.workflows.loadtest import run_loadtest
    from llmops.workflows.loadtest.cost import describe_cost, describe_requests
    from llmops.workflows.loadtest.workers import run_on_fast_loop

    console = _console()
    cost = describe_cost(estimate)
    live = None
    if sys.stdout.isatty():
        from llmops.reporters.loadtest_terminal import LiveDisplay

        live = LiveDisplay(console, "req/s" if options.open_loop else "clients")

    async def ladder() -> LoadtestResult:
        import anyio

        stop = anyio.Event()
        with ctrl_c_sets(stop):
            # said once Ctrl-C is handled: from here on it yields the partial report
            console.print(
                f"llmops loadtest → {target.label}: {describe_requests(estimate)}, {cost}",
                soft_wrap=True,
            )
            return await run_loadtest(
                options,
                target,
                prompts=prompt_set,
                observers=[live] if live else [],
                cost=estimate,
                stop=stop,
            )

    if live is None:
        return run_on_fast_loop(ladder())
    with live:
        return run_on_fast_loop(ladder())
