"""A load test in parts: worker processes on this machine, and shards on several machines.

:func:`run_in_parts` runs this process's share of every level (its shard, ``--shard I/N``;
the whole run by default) in ``workers`` processes (:mod:`~llmops.workflows.loadtest.workers`;
one means in this process), merges the workers' records per level and returns them with the
result of this share. The limits of the configuration are divided among all parts
(:func:`~llmops.workflows.loadtest.shares.part_config`), unless every part shares the one Redis
limiter (``--shared-state`` with ``state: redis``). A :class:`LevelSchedule` starts each level
at an agreed wall-clock time, so shards on several machines load the target together.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import anyio

from llmops.engine.clock import Clock, measuring_clock
from llmops.engine.transport import Transport
from llmops.errors import LlmopsError
from llmops.timestamps import iso_utc
from llmops.workflows.loadtest.cost import CostEstimate
from llmops.workflows.loadtest.events import (
    LevelFinished,
    LevelProgress,
    LevelStarted,
    LoadtestObserver,
)
from llmops.workflows.loadtest.loadtest import LoadtestResult, assemble_result, measure_level
from llmops.workflows.loadtest.options import LoadtestOptions
from llmops.workflows.loadtest.prompts import PromptSet, synthetic_prompts
from llmops.workflows.loadtest.record import LevelRecord, LevelResult, merge_records
from llmops.workflows.loadtest.shares import Part, part_config, part_options
from llmops.workflows.loadtest.workers import WorkerPool
from llmops.workflows.target import Target

__all__ = ["LevelSchedule", "ShareRun", "run_in_parts"]


@dataclass(frozen=True, slots=True)
class LevelSchedule:
    """Agreed start times: level ``k`` starts at ``start_at + k * every_s`` (wall clock). A
    level still running when the next one is due delays it (the merge then rates the levels
    over the window their parts shared)."""

    start_at: float
    every_s: float

    def start_of(self, index: int) -> float:
        """When level ``index`` starts (Unix seconds)."""
        return self.start_at + index * self.every_s


@dataclass(slots=True)
class ShareRun:
    """This process's share of a run: the result of the share, and per finished level the
    record merged over its workers (its ``load`` is the share's)."""

    result: LoadtestResult
    records: list[LevelRecord]
    shard: Part
    workers: int
    #: why the shard gave up waiting for the others at a level's barrier (then ``records``
    #: holds the levels before it), else ``None``
    gave_up: str | None = None


def _names(shard: Part, workers: int) -> list[str]:
    if shard.count == 1:
        return [f"worker {w + 1}/{workers}" for w in range(workers)]
    if workers == 1:
        return [f"shard {shard.name}"]
    return [f"shard {shard.name} worker {w + 1}/{workers}" for w in range(workers)]


def shared_limiter(options: LoadtestOptions, target: Target) -> bool:
    """True when every part shares the one Redis limiter (so limits are not divided)."""
    return options.shared_state and target.config.state.backend == "redis"


async def run_in_parts(
    options: LoadtestOptions,
    target: Target,
    *,
    workers: int = 1,
    shard: Part | None = None,
    prompts: PromptSet | None = None,
    observers: Sequence[LoadtestObserver] = (),
    cost: CostEstimate | None = None,
    stop: anyio.Event | None = None,
    schedule: LevelSchedule | None = None,
    transport: Transport | None = None,
    clock: Clock | None = None,
    barrier: Callable[[int], Awaitable[float]] | None = None,
) -> ShareRun:
    """Run ``shard``'s share of the ladder (default: all of it) in ``workers`` processes.

    Each level starts at the ``schedule``'s time, or at the time ``barrier(index)`` returns
    (the shards' Redis barrier), or at once. A barrier that raises an
    :class:`~llmops.errors.LlmopsError` (the Redis barrier's timeout) ends the ladder there:
    the levels before it are kept and ``ShareRun.gave_up`` says why. With one worker the
    levels run in this process, over ``transport`` and ``clock`` when given (tests pass the
    in-process mock and virtual time), else fresh ones per level.

    Setting ``stop`` ends the run as :func:`~llmops.workflows.loadtest.run_loadtest` does:
    the levels that finished are kept, the result is marked ``interrupted``.
    """
    shard = shard or Part(0, 1)
    prompts = prompts or synthetic_prompts(seed=options.seed)
    total = shard.count * workers
    parts = [
        Part(shard.index * workers + w, total, name)
        for w, name in enumerate(_names(shard, workers))
    ]
    shared = shared_limiter(options, target)
    targets = [
        replace(target, config=part_config(target.config, p, shared_limiter=shared)) for p in parts
    ]
    started_at = iso_utc(time.time())
    t0 = time.monotonic()
    levels: list[LevelResult] = []
    records: list[LevelRecord] = []
    state: dict[str, str | None] = {"stop_reason": None, "gave_up": None}

    async def ladder(pool: WorkerPool | None) -> None:
        for index, load in enumerate(options.loads):
            share = [(w, o) for w, p in enumerate(parts) if (o := part_options(options, load, p))]
            start_at = None
            if schedule is not None:
                start_at = schedule.start_of(index)
            elif barrier is not None:
                try:  # even with no share: the others wait for it
                    start_at = await barrier(index)
                except LlmopsError as exc:
                    state["gave_up"] = state["stop_reason"] = f"stopped before {load:g}: {exc}"
                    return
            if not share:  # fewer clients than parts: this shard has none of this level
                records.append(
                    LevelRecord(load=0.0, open_loop=options.open_loop, stream=options.stream)
                )
                continue
            _emit(observers, _started(options, index, load))
            if pool is None:
                got: list[LevelRecord | None] = [
                    await _in_process(
                        targets[w],
                        prompts,
                        index,
                        o,
                        observers,
                        parts[w],
                        start_at,
                        transport,
                        clock,
                    )
                    for w, o in share
                ]
            else:
                progress = _Progress(index, load, observers) if observers else None
                got = await pool.run_level(
                    index, share, start_at, None if progress is None else progress.update
                )
            if any(r is None for r in got):
                return
            share_load = sum(o.loads[0] for _, o in share)
            merged = merge_records([r for r in got if r is not None], load=share_load)
            records.append(merged)
            result = merged.summary(load if shard.count == 1 else share_load)
            levels.append(result)
            _emit(observers, LevelFinished(index, result))
            threshold = options.stop_on_success_below
            if threshold is not None and result.requests and result.success_rate < threshold:
                state["stop_reason"] = (
                    f"stopped after {load:g}: success rate {result.success_rate:.1%} is below "
                    f"--stop-on-success-below {threshold:.0%}"
                )
                return

    async def guarded(pool: WorkerPool | None) -> None:
        async with anyio.create_task_group() as group:
            if stop is not None:

                async def cancel_when_set() -> None:
                    await stop.wait()
                    if pool is not None:
                        pool.stop()
                    group.cancel_scope.cancel()

                group.start_soon(cancel_when_set)
            await ladder(pool)
            group.cancel_scope.cancel()

    if workers == 1:
        await guarded(None)
    else:
        with WorkerPool(targets, [p.name for p in parts], prompts) as pool:
            await pool.ready()
            await guarded(pool)
    # a shard's table lists the levels it had a share of; ``records`` has one per level run
    finished = len(records)
    result = assemble_result(
        options,
        target,
        levels,
        started_at=started_at,
        wall_s=time.monotonic() - t0,
        prompts=prompts.source,
        stop_reason=state["stop_reason"],
        cost=cost,
        stopped=stop is not None and stop.is_set(),
        finished=finished,
    )
    result.skipped_loads = list(options.loads[finished:])
    return ShareRun(result, records, shard, workers, state["gave_up"])


async def _in_process(
    target: Target,
    prompts: PromptSet,
    index: int,
    opts: LoadtestOptions,
    observers: Sequence[LoadtestObserver],
    part: Part,
    start_at: float | None,
    transport: Transport | None,
    clock: Clock | None,
) -> LevelRecord:
    from llmops.engine.default_transport import default_transport

    own = None
    if transport is None:
        transport = own = default_transport()
    try:
        return await measure_level(
            opts,
            target,
            prompts,
            transport,
            clock or measuring_clock(),
            index,
            opts.loads[0],
            observers,
            part=part.name,
            start_at=start_at,
        )
    finally:
        if own is not None:
            await own.aclose()


class _Progress:
    """The workers' progress events of one level, summed into the level's for the display
    (the p99 shown is the highest worker's; the report's is exact, from pooled samples)."""

    def __init__(self, index: int, load: float, observers: Sequence[LoadtestObserver]) -> None:
        self.index, self.load, self.observers = index, load, observers
        self.latest: dict[int, LevelProgress] = {}

    def update(self, worker: int, event: LevelProgress) -> None:
        self.latest[worker] = event
        events = list(self.latest.values())
        p99s = [e.p99_s for e in events if e.p99_s is not None]
        errors: dict[str, int] = {}
        for e in events:
            for key, n in e.errors.items():
                errors[key] = errors.get(key, 0) + n
        merged = LevelProgress(
            index=self.index,
            load=self.load,
            done=sum(e.done for e in events),
            successes=sum(e.successes for e in events),
            elapsed_s=max(e.elapsed_s for e in events),
            p99_s=max(p99s) if p99s else None,
            errors=errors,
            warming=any(e.warming for e in events),
        )
        for observer in self.observers:
            observer(merged)


def _started(options: LoadtestOptions, index: int, load: float) -> LevelStarted:
    return LevelStarted(
        index,
        load,
        "open" if options.open_loop else "closed",
        None if options.duration_s else options.requests_for(load),
        options.duration_s,
        options.warmup_for(load),
    )


def _emit(observers: Sequence[LoadtestObserver], event: LevelStarted | LevelFinished) -> None:
    for observer in observers:
        observer(event)
