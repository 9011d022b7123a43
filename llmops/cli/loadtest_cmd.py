"""``llmops loadtest``: the concurrency ladder. Parse, pick the target, guard the cost, run
:func:`llmops.workflows.loadtest.run_loadtest`, render, write reports, exit."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from llmops.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, fail_input
from llmops.errors import InputError

# The load generator (the engine, HTTP clients, the mock server) loads when a load test runs, so
# that `llmops --help` and the other commands start fast.
if TYPE_CHECKING:
    from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, Target

INTERRUPTED = "interrupted (Ctrl-C)"

T = TypeVar("T")

HELP = """Find where the target stops coping: run level after level of concurrent clients
(or --rates of Poisson arrivals), measure success, latency and throughput, and report the
knee, the throughput ceiling and a recommended queue limit.

With no --target or --config, the built-in mock server (profile 'default') is started on a
free loopback port. Reports go to --report-dir (JSON, Markdown, HTML); loadtest-latest.json
is always the last run.

Exit codes: 0 done (SLO met, if given); 1 the SLO was not met at --peak; 2 bad input, or the
cost guard refused; 130 interrupted."""


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (a faster event loop for the load generator)."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    uvloop.install()  # pragma: no cover - Python 3.10
    return asyncio.run(coro)


def _options(**kw: Any) -> LoadtestOptions:
    from llmops.durations import parse_duration
    from llmops.workflows.loadtest import LoadtestOptions, parse_levels, parse_rates, parse_slo

    levels, rates = kw["levels"], kw["rates"]
    if levels is not None and rates is not None:
        raise InputError("--levels and --rates: give one (closed loop or open loop), not both")
    if kw["requests"] is not None and kw["duration"] is not None:
        raise InputError("--requests and --duration: give one per-level budget, not both")
    for name in ("requests", "max_tokens"):
        if kw[name] is not None and kw[name] < 1:
            raise InputError(f"--{name.replace('_', '-')}: got {kw[name]}, expected at least 1")
    if kw["warmup"] is not None and kw["warmup"] < 0:
        raise InputError(f"--warmup: got {kw['warmup']}, expected 0 or more")
    stop = kw["stop_on_success_below"]
    if stop is not None and not 0 < stop <= 1:
        raise InputError(f"--stop-on-success-below: got {stop}, expected a fraction in (0, 1]")
    loads: tuple[float, ...]
    opts: dict[str, Any] = {}
    if rates is not None:
        opts["rates"] = tuple(parse_rates(rates))
        loads = opts["rates"]
    else:
        opts["levels"] = tuple(parse_levels(levels or "10,25,50,100"))
        loads = tuple(float(x) for x in opts["levels"])
    peak = kw["peak"]
    if peak is not None and peak not in loads:
        raise InputError(
            f"--peak: got {peak:g}, expected one of the levels ({', '.join(f'{x:g}' for x in loads)})"
        )
    if peak is not None and not kw["slo"]:
        raise InputError("--peak: give --slo too (the SLO checked at the peak level)")
    return LoadtestOptions(
        **opts,
        requests=kw["requests"],
        duration_s=parse_duration(kw["duration"], where="--duration") if kw["duration"] else None,
        warmup=kw["warmup"],
        stream=kw["stream"],
        max_tokens=kw["max_tokens"],
        raw=kw["raw"],
        timeout_s=parse_duration(kw["timeout"], where="--timeout"),
        stop_on_success_below=stop,
        slo=tuple(parse_slo(kw["slo"])) if kw["slo"] is not None else (),
        peak=peak,
        latency_budget_s=(
            parse_duration(kw["latency_budget"], where="--latency-budget")
            if kw["latency_budget"]
            else None
        ),
        seed=kw["seed"],
    )


@contextlib.contextmanager
def _target(kw: dict[str, Any]) -> Iterator[Target]:
    """The target the options name; the spawned mock server lives as long as the block."""
    from llmops.workflows.loadtest import target_from_config, target_from_url
    from llmops.workflows.target import live_target, mock_target

    if kw["target"] is not None:
        if kw["config"] is not None or kw["feature"] is not None:
            raise InputError(
                "--target: give either --target or --config (with --feature), not both"
            )
        if kw["provider"] is None or kw["model"] is None:
            raise InputError("--target: give --provider openai|anthropic and --model too")
        yield target_from_url(
            kw["target"], kw["provider"], kw["model"], api_key_env=kw["api_key_env"]
        )
        return
    if kw["config"] is not None:
        from llmops.config import load_config

        yield target_from_config(
            load_config(kw["config"]),
            feature=kw["feature"],
            provider=kw["provider"],
            model=kw["model"],
        )
        return
    for name in ("feature", "provider", "model"):
        if kw[name] is not None:
            raise InputError(f"--{name}: goes with --config or --target")
    profile = kw["mock_profile"]
    with live_target(mock_target(profile=profile), seed=kw["seed"]) as live:
        yield replace(live, label=f"built-in mock (profile {profile}) at {live.base_url}")


def _write_reports(result: LoadtestResult, report_dir: Path) -> list[Path]:
    from llmops.reporters.loadtest_html import render_html
    from llmops.reporters.loadtest_json import render_json
    from llmops.reporters.loadtest_markdown import render_markdown

    report_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    texts = {
        "json": render_json(result),
        "md": render_markdown(result),
        "html": render_html(result),
    }
    written = []
    for ext, text in texts.items():
        path = report_dir / f"loadtest-{stamp}.{ext}"
        path.write_text(text, encoding="utf-8")
        written.append(path)
        (report_dir / f"loadtest-latest.{ext}").write_text(text, encoding="utf-8")
    return written


def register(app: typer.Typer) -> None:
    """Add ``llmops loadtest`` to ``app``."""

    @app.command("loadtest", help=HELP)
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
            typer.Option(
                "--stream",
                help="Stream answers: measure TTFT, inter-token latency, time per output token.",
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
            typer.Option(
                "--raw", help="Call the bare API: no engine limits, retries, breaker or fallbacks."
            ),
        ] = False,
        config: Annotated[
            Path | None, typer.Option(help="llmops.yaml whose provider or feature to load.")
        ] = None,
        feature: Annotated[
            str | None, typer.Option(help="With --config: the feature to call.")
        ] = None,
        provider: Annotated[
            str | None,
            typer.Option(help="With --target: openai|anthropic; with --config: a provider's name."),
        ] = None,
        target: Annotated[
            str | None, typer.Option(help="Base URL of the API, e.g. https://api.openai.com/v1.")
        ] = None,
        model: Annotated[
            str | None, typer.Option(help="With --target: the model to ask for.")
        ] = None,
        api_key_env: Annotated[
            str | None, typer.Option(help="With --target: NAME of the variable holding the key.")
        ] = None,
        mock_profile: Annotated[
            str, typer.Option(help="Profile of the built-in mock when no target is given.")
        ] = "default",
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
            bool, typer.Option("--yes", help="Run even above --max-cost or with an unknown price.")
        ] = False,
        prices: Annotated[
            Path | None, typer.Option(help="YAML of model: {input, output} USD per 1M tokens.")
        ] = None,
        timeout: Annotated[str, typer.Option(help="--raw: deadline of one request.")] = "60s",
        seed: Annotated[int, typer.Option(help="Seed of synthetic prompts and arrivals.")] = 0,
        report_dir: Annotated[Path, typer.Option(help="Where reports are written.")] = Path(
            "reports"
        ),
    ) -> None:
        kw = dict(locals())
        from llmops.workflows.loadtest import (
            check_cost,
            estimate_cost,
            load_prices,
            load_prompts,
            synthetic_prompts,
        )

        try:
            options = _options(**kw)
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
                result = _execute(options, tgt, prompt_set, estimate)
        except InputError as exc:
            fail_input(str(exc))
        written = _write_reports(result, report_dir)
        console = _console()
        from llmops.reporters.loadtest_terminal import render_terminal

        render_terminal(result, console)
        console.print(
            f"[dim]reports: {', '.join(str(p) for p in written)} (and loadtest-latest.*)[/]"
        )
        if result.stop_reason and result.stop_reason.startswith(INTERRUPTED):
            raise typer.Exit(EXIT_INTERRUPTED)
        raise typer.Exit(EXIT_FAILED if result.slo_failed else EXIT_OK)


def _console() -> Console:
    # not a terminal (CI logs, pipes): wide enough for the whole table on one line per level
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def _execute(
    options: LoadtestOptions, target: Target, prompt_set: Any, estimate: Any
) -> LoadtestResult:
    from llmops.workflows.loadtest import run_loadtest
    from llmops.workflows.loadtest.loadtest import assemble_result

    console = _console()
    cost = "no cost (local)" if estimate.local else f"~${estimate.cost_usd:.2f}"
    console.print(
        f"llmops loadtest → {target.label}: {estimate.requests} requests planned, {cost}",
        soft_wrap=True,
    )
    live = None
    if sys.stdout.isatty():
        from llmops.reporters.loadtest_terminal import LiveDisplay

        live = LiveDisplay(console, "req/s" if options.open_loop else "clients")
    finished = _FinishedLevels()
    observers: list[Any] = [finished, live] if live else [finished]
    coro = run_loadtest(options, target, prompts=prompt_set, observers=observers, cost=estimate)
    try:
        if live is None:
            return _run_async(coro)
        with live:
            return _run_async(coro)
    except KeyboardInterrupt:
        if not finished.levels:
            raise
        # Ctrl-C: what finished is still measured; report it rather than lose it
        return assemble_result(
            options,
            target,
            finished.levels,
            started_at=finished.started_at,
            wall_s=time.perf_counter() - finished.t0,
            prompts=prompt_set.source,
            stop_reason=f"{INTERRUPTED} after {len(finished.levels)} of {len(options.loads)} levels",
            cost=estimate,
        )


class _FinishedLevels:
    """Keeps every finished level, so an interrupted run can still be reported."""

    def __init__(self) -> None:
        from llmops.workflows.loadtest.events import LevelFinished

        self.levels: list[Any] = []
        self.t0 = time.perf_counter()
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._finished = LevelFinished  # an observer sees every event: no import per call

    def __call__(self, event: object) -> None:
        if isinstance(event, self._finished):
            self.levels.append(event.result)
