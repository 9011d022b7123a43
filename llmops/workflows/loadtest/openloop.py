"""Open loop: requests arrive at a rate (Poisson: exponential gaps), whatever the answers do.

A closed-loop client that waits for a slow answer sends less, so the queueing it would have
met is never measured (coordinated omission). Here every request has an *intended* start,
drawn in advance; its latency counts from that moment, so when the client or the target falls
behind the wait shows up. The latency from the actual send (``service_latency_ms``) is
reported beside it, and the gap between them (``send_lag``) tells whether the load generator
kept up.
"""

from __future__ import annotations

import random

import anyio
import numpy as np

from llmops.workflows.loadtest.callers import Caller
from llmops.workflows.loadtest.level_run import LevelRun
from llmops.workflows.loadtest.metrics import Samples
from llmops.workflows.loadtest.record import LevelRecord

__all__ = ["arrival_times", "run_open_level"]


def arrival_times(rate: float, count: int, rng: random.Random, start: float = 0.0) -> list[float]:
    """``count`` Poisson arrival times at ``rate`` per second after ``start``."""
    times: list[float] = []
    t = start
    for _ in range(count):
        t += rng.expovariate(rate)
        times.append(t)
    return times


async def run_open_level(run: LevelRun, caller: Caller, rate: float) -> LevelRecord:
    """Requests at ``rate`` per second until the level's requests (or duration) are sent,
    then wait for the answers."""
    options = run.options
    clock = caller.clock
    rng = random.Random(options.seed * 7919 + run.index)
    warmup = options.warmup_for(rate)
    duration = options.duration_s
    total = warmup + options.requests_for(rate) if duration is None else None
    send_lag = Samples()
    rec, warm, one = run.rec, run.warm, caller.one
    checking = options.stop_on_success_below is not None

    async def fire(i: int, intended: float) -> None:
        sent = clock.now()
        if i < warmup:
            await one(i, intended, warm, True)
            return
        send_lag.add(sent - intended)
        end = await one(i, intended, rec)
        rec.service.add(end - sent)
        run.ends.add(end)
        if end > run.last_end:
            run.last_end = end
        if checking:
            run.check_stop()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run.check.run)
        async with anyio.create_task_group() as senders:
            t = clock.now()
            end_at = None
            i = 0
            while not run.stop:
                if i == warmup:
                    # the measured window opens at the last warm-up arrival (or the level's
                    # start): the arrivals after it in a window of any length are then a
                    # Poisson count at ``rate`` (opening it at the first measured arrival
                    # would count that one arrival in a window of length zero)
                    run.begin_measuring()
                    run.measure_start = t
                    if duration is not None:
                        end_at = t + duration
                t += rng.expovariate(rate)
                if total is not None and i >= total:
                    break
                if end_at is not None and t >= end_at:
                    break
                delay = t - clock.now()
                if delay > 0:
                    await clock.sleep(delay)
                senders.start_soon(fire, i, t)
                i += 1
        tg.cancel_scope.cancel()
    lag = send_lag.values()
    return run.finish(float(np.percentile(lag, 99)) if lag.size else None)
