"""Run a whole load test: every level in turn, then the verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from llmops.engine.clock import Clock, measuring_clock
from llmops.engine.transport import Transport
from llmops.sigint import cancel_when_set
from llmops.timestamps import iso_utc
from llmops.workflows.loadtest.cost import CostEstimate
from llmops.workflows.loadtest.events import LevelFinished, LevelStarted, LoadtestObserver
from llmops.workflows.loadtest.explain import END_TO_END_KINDS
from llmops.workflows.loadtest.level_run import LevelRun, run_closed_level
from llmops.workflows.loadtest.levels import level_config
from llmops.workflows.loadtest.openloop import run_open_level
from llmops.workflows.loadtest.options import LoadtestOptions
from llmops.workflows.loadtest.prompts import PromptSet, synthetic_prompts
from llmops.workflows.loadtest.record import LevelRecord, LevelResult
from llmops.workflows.loadtest.service_callers import open_target_caller
from llmops.workflows.loadtest.verdict import Verdict, make_verdict
from llmops.workflows.target import Target

__all__ = ["LoadtestResult", "assemble_result", "measure_level", "run_loadtest"]


@dataclass(slots=True)
class LoadtestResult:
    """A finished load test: its levels, the verdict, and what was run against what."""

    target: str
    #: the model asked for; None for the team's own feature when it was not named (--model)
    model: str | None
    mode: str
    raw: bool
    options: LoadtestOptions
    levels: list[LevelResult]
    verdict: Verdict
    started_at: str
    wall_s: float
    prompts: str
    skipped_loads: list[float] = field(default_factory=list)
    stop_reason: str | None = None
    cost: CostEstimate | None = None
    #: the run was stopped from outside (``stop`` set, e.g. on Ctrl-C): ``levels`` are the ones
    #: that finished, ``skipped_loads`` the rest (the level in progress is not measured)
    interrupted: bool = False
    #: ``openai`` or ``anthropic`` for an API; ``function`` or ``http`` for the team's feature
    target_kind: str = "openai"

    @property
    def end_to_end(self) -> bool:
        """The team's own feature was called (no engine in front: no fallbacks, retries)."""
        return self.target_kind in END_TO_END_KINDS

    @property
    def via(self) -> str:
        """How the target was called, in words (the reports' caption)."""
        if self.end_to_end:
            return "end to end (the feature's own, no engine in front)"
        return "raw API" if self.raw else "through the engine"

    @property
    def slo_failed(self) -> bool:
        """True when an SLO was given and not met at the peak (the CI gate: exit 1)."""
        return self.verdict.slo is not None and not self.verdict.slo.passed


async def run_loadtest(
    options: LoadtestOptions,
    target: Target,
    *,
    prompts: PromptSet | None = None,
    transport: Transport | None = None,
    clock: Clock | None = None,
    observers: Sequence[LoadtestObserver] = (),
    cost: CostEstimate | None = None,
    cpu_clock: Callable[[], float] = time.process_time,
    stop: anyio.Event | None = None,
) -> LoadtestResult:
    """Run the ladder ``options`` describe against ``target`` and return the result.

    ``transport`` defaults to the fast one for the running loop (aiohttp on asyncio), shared
    by every level. ``clock`` defaults to ``perf_counter`` readings with the loop's sleeps
    (see :class:`~llmops.engine.clock.PreciseClock`). Each level gets a fresh engine (fresh breaker, limiter, retry budget) so
    levels do not contaminate each other. ``clock`` defaults to the loop's; pass the virtual
    one (with ``llmops.mock.MockTransport``) in tests.

    Setting ``stop`` (the command line sets it on Ctrl-C) ends the run at once: the result
    holds the levels that finished, marked ``interrupted``, with the others in
    ``skipped_loads``; the level in progress is dropped, as it was not measured to its end.
    """
    prompts = prompts or synthetic_prompts(seed=options.seed)
    clock = clock or measuring_clock()
    owns_transport = transport is None
    if transport is None:
        from llmops.engine.default_transport import default_transport

        transport = default_transport()
    started_at = iso_utc(clock.wall())
    wall0 = clock.now()
    levels: list[LevelResult] = []
    stop_reason: str | None = None
    failure: Exception | None = None
    try:
        async with anyio.create_task_group() as group:
            if stop is not None:
                group.start_soon(cancel_when_set, stop, group.cancel_scope)
            try:
                stop_reason = await _ladder(
                    options, target, prompts, transport, clock, observers, cpu_clock, levels
                )
            except Exception as exc:  # re-raised below as itself, not in an exception group
                failure = exc
            group.cancel_scope.cancel()
    finally:
        if owns_transport:
            await transport.aclose()
    if failure is not None:
        raise failure
    return assemble_result(
        options,
        target,
        levels,
        started_at=started_at,
        wall_s=clock.now() - wall0,
        prompts=prompts.source,
        stop_reason=stop_reason,
        cost=cost,
        stopped=stop is not None and stop.is_set(),
    )


async def _ladder(
    options: LoadtestOptions,
    target: Target,
    prompts: PromptSet,
    transport: Transport,
    clock: Clock,
    observers: Sequence[LoadtestObserver],
    cpu_clock: Callable[[], float],
    levels: list[LevelResult],
) -> str | None:
    """Run the levels in turn, appending each finished one to ``levels``; return why the
    ladder stopped early (``--stop-on-success-below``), or None."""
    for index, load in enumerate(options.loads):
        _emit(
            observers,
            LevelStarted(
                index,
                load,
                "open" if options.open_loop else "closed",
                None if options.duration_s else options.requests_for(load),
                options.duration_s,
                options.warmup_for(load),
            ),
        )
        record = await measure_level(
            options, target, prompts, transport, clock, index, load, observers, cpu_clock
        )
        result = record.summary()
        levels.append(result)
        _emit(observers, LevelFinished(index, result))
        threshold = options.stop_on_success_below
        if threshold is not None and result.success_rate < threshold:
            return (
                f"stopped after {load:g}: success rate {result.success_rate:.1%} is below "
                f"--stop-on-success-below {threshold:.0%}"
            )
    return None


async def measure_level(
    options: LoadtestOptions,
    target: Target,
    prompts: PromptSet,
    transport: Transport,
    clock: Clock,
    index: int,
    load: float,
    observers: Sequence[LoadtestObserver] = (),
    cpu_clock: Callable[[], float] = time.process_time,
    *,
    part: str = "1/1",
    start_at: float | None = None,
) -> LevelRecord:
    """Run one level (``load`` clients, or arrivals per second) and return its record.

    With ``start_at`` (wall-clock seconds) the level's clients start then, once the caller is
    ready, so parts of one level in several processes or machines start together.
    """
    config = level_config(target, load, open_loop=options.open_loop)
    async with open_target_caller(
        target,
        config,
        prompts,
        transport,
        clock,
        raw=options.raw,
        max_tokens=options.max_tokens,
        stream=options.stream,
        timeout_s=options.timeout_s,
        closed_loop=not options.open_loop,
        shared_state=options.shared_state,
    ) as caller:
        if start_at is not None and (wait := start_at - clock.wall()) > 0:
            await clock.sleep(wait)
        run = LevelRun(index, load, options, caller, observers, cpu_clock)
        run.part = part
        if options.open_loop:
            return await run_open_level(run, caller, load)
        return await run_closed_level(run, caller, int(load))


def assemble_result(
    options: LoadtestOptions,
    target: Target,
    levels: list[LevelResult],
    *,
    started_at: str,
    wall_s: float,
    prompts: str,
    stop_reason: str | None = None,
    cost: CostEstimate | None = None,
    stopped: bool = False,
    finished: int | None = None,
) -> LoadtestResult:
    """The result (with its verdict) of the ``levels`` run so far: the whole ladder, or what
    finished before it was stopped (then ``stop_reason`` says why). ``stopped`` (Ctrl-C)
    before all ``finished`` levels (default: those in ``levels``) marks it interrupted."""
    done = len(levels) if finished is None else finished
    interrupted = stopped and done < len(options.loads)
    if interrupted:
        stop_reason = f"interrupted after {done} of {len(options.loads)} levels"
    result = LoadtestResult(
        target=target.label,
        model=target.model or None,
        mode="open" if options.open_loop else "closed",
        raw=options.raw,
        options=options,
        levels=levels,
        verdict=make_verdict(levels, options, target_kind=target.kind),
        started_at=started_at,
        wall_s=wall_s,
        prompts=prompts,
        skipped_loads=list(options.loads[len(levels) :]),
        stop_reason=stop_reason,
        cost=cost,
        target_kind=target.kind,
    )
    result.interrupted = interrupted
    return result


def _emit(observers: Sequence[LoadtestObserver], event: LevelStarted | LevelFinished) -> None:
    for observer in observers:
        observer(event)
