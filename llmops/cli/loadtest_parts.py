"""``llmops loadtest`` in parts: ``--workers N``, ``--shard I/N`` (a partial report) and
``--merge PART...`` (the one report). Parses, calls
:func:`~llmops.workflows.loadtest.distributed.run_in_parts` or
:func:`~llmops.workflows.loadtest.partial.merge_partials`, and writes through the one report
writer; :mod:`llmops.cli.loadtest_cmd` renders and exits as for any run."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops.errors import InputError
from llmops.timestamps import iso_utc

if TYPE_CHECKING:
    from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, Target
    from llmops.workflows.loadtest.distributed import LevelSchedule
    from llmops.workflows.loadtest.shares import Part

__all__ = ["PartsPlan", "merge_command", "parts_plan", "run_parts", "write_partial"]

#: --start-at with levels of known length (--duration): the default --level-every is
#: the duration times this, plus LEVEL_SLACK_S (warm-up, the last answers, opening engines)
LEVEL_EVERY_FACTOR = 1.5
LEVEL_SLACK_S = 10.0
#: shards meeting in Redis: how long one waits at a level's barrier for the others by default
BARRIER_TIMEOUT_S = 600.0


@dataclass(frozen=True, slots=True)
class PartsPlan:
    """How a run is split: worker processes here, this machine's shard, the level schedule;
    ``barrier_timeout_s`` when ``--barrier-timeout`` was given (else the default applies)."""

    workers: int
    shard: Part | None
    schedule: LevelSchedule | None
    barrier_timeout_s: float | None = None


def parts_plan(
    options: LoadtestOptions,
    *,
    workers: str,
    shard: str | None,
    start_at: str | None,
    level_every: str | None,
    barrier_timeout: str | None = None,
) -> PartsPlan | None:
    """The plan the flags spell, or ``None`` for a plain run in this process."""
    from llmops.durations import parse_duration
    from llmops.workflows.loadtest.distributed import LevelSchedule
    from llmops.workflows.loadtest.options import parse_shard, parse_start_at, parse_workers
    from llmops.workflows.loadtest.shares import Part, part_options

    n_workers = parse_workers(workers)
    part = Part(*parse_shard(shard)) if shard is not None else None
    schedule = None
    waited = None
    if barrier_timeout is not None:
        if part is None or start_at is not None:
            raise InputError(
                "--barrier-timeout: only for shards meeting in Redis (--shard without --start-at)"
            )
        waited = parse_duration(barrier_timeout, where="--barrier-timeout")
    if level_every is not None and start_at is None:
        raise InputError("--level-every: give --start-at too (when the first level starts)")
    if start_at is not None:
        first = parse_start_at(start_at)
        if level_every is not None:
            every = parse_duration(level_every, where="--level-every")
        elif options.duration_s is not None:
            every = options.duration_s * LEVEL_EVERY_FACTOR + LEVEL_SLACK_S
        elif len(options.loads) > 1:
            raise InputError(
                "--start-at: give --level-every too (the time from one level's start to the "
                "next, e.g. 90s), or --duration: levels run by request count have no known length"
            )
        else:
            every = 0.0
        schedule = LevelSchedule(first, every)
    if n_workers == 1 and part is None and schedule is None:
        return None
    parts = (part.count if part is not None else 1) * n_workers
    for load in options.loads:  # refuse a share that cannot be split before starting anything
        part_options(options, load, Part(0, parts))
    return PartsPlan(n_workers, part, schedule, waited)


def run_parts(
    options: LoadtestOptions,
    target: Target,
    prompt_set: Any,
    estimate: Any,
    plan: PartsPlan,
    console: Any,
) -> Any:
    """Run this process's share with the live display; the first Ctrl-C stops it (the
    result keeps what finished, marked interrupted). Returns the
    :class:`~llmops.workflows.loadtest.distributed.ShareRun`."""
    from llmops.cli.common import ctrl_c_sets
    from llmops.workflows.loadtest.distributed import run_in_parts
    from llmops.workflows.loadtest.workers import run_on_fast_loop

    live = None
    if sys.stdout.isatty():
        from llmops.reporters.loadtest_terminal import LiveDisplay

        live = LiveDisplay(console, "req/s" if options.open_loop else "clients")
    where = f"shard {plan.shard.name}, " if plan.shard is not None else ""
    from llmops.workflows.loadtest.cost import describe_cost, describe_requests

    cost = describe_cost(estimate)

    async def ladder() -> Any:
        import anyio

        stop = anyio.Event()
        with ctrl_c_sets(stop):
            console.print(
                f"llmops loadtest → {target.label}: {where}{plan.workers} worker process(es), "
                f"{describe_requests(estimate)} in all, {cost}",
                soft_wrap=True,
            )
            if plan.schedule is not None and plan.schedule.start_at > time.time():
                console.print(
                    f"first level starts at {iso_utc(plan.schedule.start_at)}", soft_wrap=True
                )
            barrier = _redis_barrier(options, target, plan)
            try:
                return await run_in_parts(
                    options,
                    target,
                    workers=plan.workers,
                    shard=plan.shard,
                    prompts=prompt_set,
                    observers=[live] if live else [],
                    cost=estimate,
                    stop=stop,
                    schedule=plan.schedule,
                    barrier=None if barrier is None else barrier[1],
                )
            finally:
                if barrier is not None:
                    await barrier[0].aclose()

    if live is None:
        return run_on_fast_loop(ladder())
    with live:
        return run_on_fast_loop(ladder())


def _redis_barrier(options: LoadtestOptions, target: Target, plan: PartsPlan) -> Any:
    """Shards without ``--start-at`` meet at each level in the config's Redis (``state:
    redis``), each waiting at most ``--barrier-timeout``: ``(barrier, wait(index))``, or
    ``None`` when there is no such Redis."""
    state = target.config.state
    if plan.shard is None or plan.schedule is not None or state.backend != "redis" or not state.url:
        if plan.barrier_timeout_s is not None:
            raise InputError(
                "--barrier-timeout: the shards meet in Redis only when the configuration has "
                "state: {backend: redis, url: ...} (give it with --config)"
            )
        return None
    from llmops.stores.redis_barrier import RedisStartBarrier
    from llmops.workflows.loadtest.partial import run_id_for

    run_id = run_id_for(options, plan.shard.count, target.model, None)
    timeout = plan.barrier_timeout_s
    barrier = RedisStartBarrier(
        state.url,
        state.key_prefix,
        plan.shard.count,
        party=plan.shard.index,
        timeout_s=BARRIER_TIMEOUT_S if timeout is None else timeout,
    )

    async def wait(index: int) -> float:
        return await barrier.wait(f"{run_id}:{index}")

    return barrier, wait


def write_partial(share: Any, plan: PartsPlan, report_dir: Path) -> list[Path]:
    """Write the shard's partial report (JSON) through the one report writer."""
    import orjson

    from llmops.cli.reports import write_reports
    from llmops.workflows.loadtest.partial import partial_to_json, run_id_for

    assert plan.shard is not None
    result = share.result
    start = plan.schedule.start_at if plan.schedule is not None else None
    run_id = run_id_for(result.options, plan.shard.count, result.model, start)
    body = orjson.dumps(partial_to_json(share, run_id), option=orjson.OPT_INDENT_2)
    stem = f"loadtest-part-{plan.shard.index + 1}-of-{plan.shard.count}"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{stem}-{stamp}.json"
    return write_reports(report_dir, {name: body}, latest={name: f"{stem}-latest.json"})


def merge_command(
    merge: bool, parts: list[Path], *, shard: str | None, workers: str
) -> LoadtestResult:
    """``--merge PART...``: the one result of a sharded run (it runs nothing)."""
    from llmops.workflows.loadtest.partial import merge_partials

    if not merge:
        raise InputError(
            f"unexpected argument {str(parts[0])!r}: loadtest takes files only with --merge "
            "(the shards' partial reports)"
        )
    if not parts:
        raise InputError(
            "--merge: give the shards' partial reports, e.g. "
            "llmops loadtest --merge reports/loadtest-part-*-latest.json"
        )
    if shard is not None or workers != "1":
        raise InputError("--merge: merges partial reports; it runs nothing (no --shard, --workers)")
    return merge_partials(list(parts))
