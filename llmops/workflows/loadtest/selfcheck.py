"""The load generator checks itself: is the client, not the target, the bottleneck?

A ticker task sleeps a short interval over and over and records how late it wakes up (the
event loop's lag: when the loop is saturated with work every callback waits, including the
reads that timestamp the answers). Process CPU over the level comes from
``time.process_time``: one Python process uses at most one core for its event loop. A level
is ``client-bound`` when the client used nearly a whole core, or its loop lagged by more than
a fraction of the latencies it was measuring.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from llmops.engine.clock import Clock
from llmops.workflows.loadtest.metrics import Samples

__all__ = ["SelfCheck"]

#: share of one core above which the client is the bottleneck
CPU_BOUND = 0.9
#: loop lag (p99) above which the client is the bottleneck: this many seconds at least ...
LAG_FLOOR_S = 0.02
#: ... or this share of the measured median latency, whichever is larger
LAG_SHARE = 0.1


class SelfCheck:
    """Samples event-loop lag every ``interval_s`` while :meth:`run` runs, and CPU use.

    ``on_tick`` is called about every ``tick_s`` (progress display, stop-early check).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        interval_s: float = 0.01,
        tick_s: float = 0.25,
        on_tick: Callable[[], None] | None = None,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self._clock = clock
        self._interval = interval_s
        self._every = max(1, round(tick_s / interval_s))
        self._on_tick = on_tick
        self._cpu_clock = cpu_clock
        self.lag = Samples(256)
        self._cpu0 = cpu_clock()
        self._t0 = clock.now()

    def restart(self) -> None:
        """Start measuring afresh (after the warm-up)."""
        self.lag = Samples(256)
        self._cpu0 = self._cpu_clock()
        self._t0 = self._clock.now()

    async def run(self) -> None:
        """Tick until cancelled."""
        clock, interval = self._clock, self._interval
        n = 0
        while True:
            due = clock.now() + interval
            await clock.sleep(interval)
            self.lag.add(max(0.0, clock.now() - due))
            n += 1
            if self._on_tick is not None and n % self._every == 0:
                self._on_tick()

    def result(
        self, latency_p50_s: float | None, send_lag_p99_s: float | None = None
    ) -> dict[str, Any]:
        """The self-check of the level so far, with the ``client_bound`` verdict and why."""
        wall = self._clock.now() - self._t0
        cpu = self._cpu_clock() - self._cpu0
        cpu_share = cpu / wall if wall > 0.05 else None
        lag = self.lag.values()
        lag_p99 = float(np.percentile(lag, 99)) if lag.size else 0.0
        lag_max = float(lag.max()) if lag.size else 0.0
        threshold = max(LAG_FLOOR_S, LAG_SHARE * (latency_p50_s or 0.0))
        reasons: list[str] = []
        if cpu_share is not None and cpu_share >= CPU_BOUND:
            reasons.append(f"client CPU {cpu_share:.0%} of a core")
        if lag_p99 >= threshold:
            reasons.append(
                f"event-loop lag p99 {lag_p99 * 1000:.0f} ms (the client was busy or short of CPU)"
            )
        if send_lag_p99_s is not None and send_lag_p99_s >= threshold:
            reasons.append(f"arrivals sent {send_lag_p99_s * 1000:.0f} ms late (p99)")
        out: dict[str, Any] = {
            "cpu_percent": None if cpu_share is None else round(cpu_share * 100, 1),
            "loop_lag_p99_ms": round(lag_p99 * 1000, 2),
            "loop_lag_max_ms": round(lag_max * 1000, 2),
            "client_bound": bool(reasons),
            "reasons": reasons,
        }
        if send_lag_p99_s is not None:
            out["send_lag_p99_ms"] = round(send_lag_p99_s * 1000, 2)
        return out
