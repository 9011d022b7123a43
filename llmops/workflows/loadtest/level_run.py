"""Running one level of the ladder: its state (:class:`LevelRun`: recorders, self-check, stop
flag, progress events), shared by both loops, and the closed loop (:func:`run_closed_level`).
The open loop is :mod:`~llmops.workflows.loadtest.openloop`; the whole ladder is
:func:`~llmops.workflows.loadtest.loadtest.run_loadtest`.

In closed loop each of N clients sends its next request as soon as its last one ends, so N
requests are always in flight; the first ``warmup`` requests of a level (one per client by
default) open the connections and are not measured.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import anyio
import numpy as np

from llmops.engine.clock import Clock
from llmops.workflows.loadtest.callers import Caller, EngineCaller
from llmops.workflows.loadtest.events import LevelProgress, LoadtestObserver
from llmops.workflows.loadtest.metrics import LevelRecorder, Samples
from llmops.workflows.loadtest.options import LoadtestOptions
from llmops.workflows.loadtest.record import LevelRecord
from llmops.workflows.loadtest.selfcheck import SelfCheck

__all__ = ["LevelRun", "run_closed_level"]


class LevelRun:
    """The state of one running level: recorders, self-check, stop flag, progress events."""

    def __init__(
        self,
        index: int,
        load: float,
        options: LoadtestOptions,
        caller: Caller,
        observers: Sequence[LoadtestObserver],
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.index = index
        self.caller = caller
        self.load = load
        self.options = options
        self.clock: Clock = caller.clock
        self.rec = LevelRecorder(options.stream, open_loop=options.open_loop)
        self.warm = LevelRecorder(options.stream, open_loop=options.open_loop)
        caller.warmup_rec = self.warm
        if isinstance(caller, EngineCaller):
            caller.rec = self.rec
        self.observers = observers
        self.check = SelfCheck(
            self.clock,
            tick_s=options.progress_interval_s,
            on_tick=self._tick,
            cpu_clock=cpu_clock,
        )
        self.stop = False
        self.stopped_early = False
        self.measure_start: float | None = None
        self.last_end = 0.0
        # closed loop: the steady window ends when the first client runs out of work (the
        # drain, with fewer and fewer in flight, would understate the rates)
        self.drain_at: float | None = None
        #: when each measured request ended (clock time): rates count those in the window
        self.ends = Samples()
        self.started = self.clock.now()
        #: clock time + this = wall-clock time, so records of several processes line up
        self.wall_offset = self.clock.wall() - self.started
        #: this process's name in a merged report's self-checks (``worker 2/4``, ``shard 1/2``)
        self.part = "1/1"

    def begin_measuring(self) -> float:
        """Mark the start of the measured window (the warm-up is over); return the time."""
        now = self.clock.now()
        self.measure_start = now
        self.check.restart()
        self.caller.begin_measuring()
        return now

    def check_stop(self) -> None:
        """Stop the level once enough requests show success below ``stop_on_success_below``
        (at least 50, and two per client): don't keep hammering a failing API."""
        rec = self.rec
        threshold = self.options.stop_on_success_below
        if (
            threshold is not None
            and not self.stop
            and rec.requests >= max(50, 2 * math.ceil(self.load))
            and rec.successes / rec.requests < threshold
        ):
            self.stop = self.stopped_early = True

    def _tick(self) -> None:
        self.check_stop()
        rec = self.rec
        if self.observers:
            start = self.measure_start
            event = LevelProgress(
                index=self.index,
                load=self.load,
                done=rec.requests,
                successes=rec.successes,
                elapsed_s=self.clock.now() - (start if start is not None else self.started),
                p99_s=rec.current_p99_s(),
                errors=dict(rec.failures),
                warming=start is None,
            )
            for observer in self.observers:
                observer(event)

    def finish(self, send_lag_p99_s: float | None = None) -> LevelRecord:
        """What the level measured, with its self-check, as a mergeable record (in wall-clock
        time); its :meth:`~LevelRecord.summary` is the level's result."""
        start = self.measure_start
        off = self.wall_offset
        values = self.rec.latency.values()
        p50 = float(np.median(values)) if values.size else None
        check = {
            "part": self.part,
            "requests": self.rec.requests,
            **self.check.result(p50, send_lag_p99_s),
        }
        return self.rec.record(
            load=self.load,
            start=None if start is None else start + off,
            end=max(self.last_end, start or 0.0) + off,
            steady_end=None if self.drain_at is None or start is None else self.drain_at + off,
            ends=self.ends.values() + off,
            warmup=self.warm.requests,
            stopped_early=self.stopped_early,
            breaker=list(self.caller.transitions),
            self_checks=[check],
        )


async def run_closed_level(run: LevelRun, caller: Caller, clients: int) -> LevelRecord:
    """``clients`` concurrent clients until the level's requests (or duration) are done."""
    options = run.options
    clock = caller.clock
    warmup = options.warmup_for(run.load)
    duration = options.duration_s
    total = warmup + options.requests_for(run.load) if duration is None else None
    issued = 0
    end_at = math.inf
    checking = options.stop_on_success_below is not None

    async def client() -> None:
        nonlocal issued, end_at
        one, rec, warm, ends = caller.one, run.rec, run.warm, run.ends
        while not run.stop:
            i = issued
            if i >= warmup:
                if i == warmup:
                    started = run.begin_measuring()
                    if duration is not None:
                        end_at = started + duration
                if total is not None:
                    if i >= total:
                        break
                elif clock.now() >= end_at:
                    break
            issued = i + 1
            t0 = clock.now()
            if i < warmup:
                end = await one(i, t0, warm, True)
                opened = run.measure_start
                if opened is not None and end > opened:
                    # a warm-up answer that came after the window opened is work done in
                    # it: leaving it out would understate the rate by about a latency's worth
                    ends.add(end)
            else:
                end = await one(i, t0, rec)
                ends.add(end)
                if end > run.last_end:
                    run.last_end = end
                if checking:
                    run.check_stop()
        if run.drain_at is None:
            run.drain_at = clock.now()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run.check.run)
        async with anyio.create_task_group() as clients_group:
            for _ in range(clients):
                clients_group.start_soon(client)
        tg.cancel_scope.cancel()
    return run.finish()
