"""The mock's fault model, pure: every decision takes an explicit ``now`` and an injected RNG.

No clock is read and no I/O is done here; the request handler feeds in the time and the
seeded :class:`random.Random`, and the servers (loopback HTTP, in-process transport) carry
the decisions out. So a test can say "at t=12.5 with seed 3 the request fails with 503".
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

from llmops.mock.profile import Capacity, Faults, Latency, ModelVersion, Outage


class Bucket:
    """A continuously refilled bucket holding at most ``per_minute`` units, starting full."""

    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self.last = now

    def _refill(self, now: float) -> None:
        if now > self.last:
            self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
            self.last = now

    def wait(self, cost: float, now: float) -> float:
        """Seconds until ``cost`` units are available (0 when they are now)."""
        self._refill(now)
        cost = min(cost, self.capacity)
        return 0.0 if self.level >= cost else (cost - self.level) / self.rate

    def take(self, cost: float, now: float) -> None:
        """Remove ``cost`` units (call after :meth:`wait` returned 0)."""
        self._refill(now)
        self.level -= min(cost, self.capacity)

    def remaining(self, now: float) -> int:
        """Whole units left now."""
        self._refill(now)
        return max(0, int(self.level))

    def reset_s(self, now: float) -> float:
        """Seconds until the bucket is full again."""
        self._refill(now)
        return (self.capacity - self.level) / self.rate


@dataclass(frozen=True, slots=True)
class Admission:
    """Where a request goes: it starts after ``wait_s`` in the queue, with ``busy`` slots in use
    (itself included)."""

    wait_s: float
    busy: int


class CapacityPlanner:
    """Slots and a bounded FIFO queue, planned at arrival.

    Each slot is the time it becomes free; a request takes the earliest-free slot, waiting in
    the queue if that is in the future. The plan assumes the client waits for its answer (a
    disconnected client still holds its slot until its planned end).
    """

    def __init__(self, capacity: Capacity) -> None:
        self.slots = capacity.slots
        self.queue_limit = capacity.queue
        self._free_at: list[float] = []  # heap of end times of slots in use
        self._queued_starts: list[float] = []  # heap of start times of queued requests

    def resize(self, capacity: Capacity) -> None:
        """Change limits; requests already planned keep their plan."""
        self.slots = capacity.slots
        self.queue_limit = capacity.queue

    def _expire(self, now: float) -> None:
        while self._queued_starts and self._queued_starts[0] <= now:
            heapq.heappop(self._queued_starts)

    def queue_depth(self, now: float) -> int:
        """Requests admitted but not yet started at ``now``."""
        self._expire(now)
        return len(self._queued_starts)

    def busy(self, now: float) -> int:
        """Slots in use at ``now``."""
        return min(self.slots, sum(1 for t in self._free_at if t > now))

    def admit(self, now: float) -> Admission | None:
        """Reserve a place, or ``None`` when every slot is busy and the queue is full.

        Call :meth:`occupy` with the service time right after a successful admission.
        """
        free = self._free_at
        while free and free[0] <= now:
            heapq.heappop(free)
        if len(free) < self.slots:
            return Admission(0.0, len(free) + 1)
        if self.queue_depth(now) >= self.queue_limit:
            return None
        start = heapq.nsmallest(len(free) - self.slots + 1, free)[-1]
        return Admission(start - now, 1 + sum(1 for t in free if t > start))

    def occupy(self, now: float, admission: Admission, service_s: float) -> None:
        """Record the admitted request's slot until ``now + wait + service``."""
        start = now + admission.wait_s
        if len(self._free_at) >= self.slots:
            heapq.heapreplace(self._free_at, start + service_s)
        else:
            heapq.heappush(self._free_at, start + service_s)
        if admission.wait_s > 0:
            heapq.heappush(self._queued_starts, start)


def service_time(
    latency: Latency, output_tokens: int, busy: int, rng: random.Random | None
) -> float:
    """Time to first token plus generation, slower per token as more slots are busy."""
    per_token = latency.time_per_token_s * (1.0 + latency.slot_slowdown * max(0, busy - 1))
    total = latency.ttft_s + output_tokens * per_token
    if latency.jitter and rng is not None:
        total *= rng.uniform(1.0 - latency.jitter, 1.0 + latency.jitter)
    return total


def first_token_time(latency: Latency, service_s: float, output_tokens: int) -> tuple[float, float]:
    """Split a service time into (time to first token, time per token) for a stream."""
    base = latency.ttft_s + output_tokens * latency.time_per_token_s
    scale = service_s / base if base > 0 else 0.0
    ttft = latency.ttft_s * scale
    return ttft, (service_s - ttft) / output_tokens if output_tokens else 0.0


def model_version(spec: ModelVersion, elapsed_s: float, request_index: int) -> tuple[str, bool]:
    """The model name reported at ``elapsed_s`` for the ``request_index``-th request, and
    whether the switch has happened."""
    if spec.switch_to is None:
        return spec.name, False
    if spec.switch_after_s is not None:
        switched = elapsed_s >= spec.switch_after_s
    else:
        switched = request_index >= (spec.switch_after_requests or 0)
    return (spec.switch_to, True) if switched else (spec.name, False)


def in_outage(outages: list[Outage], elapsed_s: float, request_index: int) -> Outage | None:
    """The outage window covering this moment or request, if any."""
    for outage in outages:
        if outage.start_request is not None or outage.end_request is not None:
            lo, hi = outage.start_request or 0, outage.end_request
            if request_index >= lo and (hi is None or request_index < hi):
                return outage
        else:
            lo_s, hi_s = outage.start_s or 0.0, outage.end_s
            if elapsed_s >= lo_s and (hi_s is None or elapsed_s < hi_s):
                return outage
    return None


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What goes wrong with one request. ``error`` is a key of ``faults.error_rates`` or an
    outage status; the stream fields are chunk indexes (``None``: does not happen)."""

    error: str | None = None
    reset_before: bool = False
    slow_first_byte_s: float = 0.0
    stall_at: int | None = None
    stall_s: float = 0.0
    truncate_at: int | None = None
    reset_at: int | None = None
    malformed: bool = False


NO_FAULT = FaultDecision()


def decide_faults(
    faults: Faults, elapsed_s: float, request_index: int, stream: bool, rng: random.Random
) -> FaultDecision:
    """Draw this request's faults. Draws happen in a fixed order, so a seed replays exactly."""
    outage = in_outage(faults.outages, elapsed_s, request_index)
    if outage is not None:
        if outage.status == "reset":
            return FaultDecision(reset_before=True)
        return FaultDecision(error=str(outage.status))
    draw = rng.random()
    for key, rate in faults.error_rates.items():
        if draw < rate:
            return FaultDecision(error=key)
        draw -= rate
    reset = rng.random() < faults.reset.rate
    if reset and not stream:
        return FaultDecision(reset_before=True)
    slow = faults.slow_first_byte.seconds if rng.random() < faults.slow_first_byte.rate else 0.0
    stall = rng.random() < faults.stall.rate
    truncate = rng.random() < faults.truncate.rate
    malformed = rng.random() < faults.malformed_json
    return FaultDecision(
        slow_first_byte_s=slow,
        stall_at=faults.stall.after_chunks if stall and stream else None,
        stall_s=faults.stall.seconds if stall and stream else 0.0,
        truncate_at=faults.truncate.after_chunks if truncate and stream else None,
        reset_at=faults.reset.after_chunks if reset else None,
        malformed=malformed,
    )


def retry_after_header(wait_s: float) -> tuple[str, str]:
    """``retry-after`` (whole seconds, rounded up, at least 1) and ``retry-after-ms`` (at least 0)."""
    # round first so float noise (20.000000001) does not add a whole second
    return str(max(1, math.ceil(round(wait_s, 6)))), str(max(0, math.ceil(round(wait_s * 1000, 3))))
