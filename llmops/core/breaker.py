"""A circuit breaker: stop calling a provider that is failing, then probe before trusting it."""

from __future__ import annotations

import math
from enum import Enum

from llmops.core.window import SlidingCounts

_CALLS = 0
_FAILURES = 1


class BreakerState(str, Enum):
    """The three states of a :class:`CircuitBreaker`."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


Transition = tuple[BreakerState, BreakerState, str]


class CircuitBreaker:
    """Closed → open on the failure rate over a sliding window; open → half-open → closed.

    - CLOSED: every call is allowed. Outcomes are counted over the last ``window_s`` seconds (in
      time buckets, bounded memory). Once at least ``minimum_calls`` calls are in the window and
      the failure rate is ``>= failure_rate_threshold``, the breaker opens.
    - OPEN: nothing is allowed. After ``open_s`` seconds it becomes HALF_OPEN (lazily: on the next
      :meth:`state`, :meth:`allow` or :meth:`record`).
    - HALF_OPEN: at most ``half_open_probes`` calls are outstanding at once. Any failed probe opens
      it again for ``open_s``; ``half_open_probes`` successful probes close it with a fresh window.

    A call longer than ``slow_call_s`` (when set) counts as a failure even if it succeeded.

    Contract with the caller: call :meth:`allow` before each call and, for every call it allowed,
    exactly one of :meth:`record` (an outcome) or :meth:`release` (cancelled, no outcome).
    Outcomes recorded while OPEN, or in HALF_OPEN with no probe outstanding, come from calls
    allowed before the breaker opened and are ignored. State changes are queued for
    :meth:`drain_transitions` as ``(old, new, reason)``.
    """

    def __init__(
        self,
        *,
        failure_rate_threshold: float = 0.5,
        window_s: float = 30.0,
        minimum_calls: int = 20,
        open_s: float = 30.0,
        half_open_probes: int = 3,
        slow_call_s: float | None = None,
        buckets: int = 10,
    ) -> None:
        if not 0 < failure_rate_threshold <= 1:
            raise ValueError(
                f"failure_rate_threshold must be in (0, 1], got {failure_rate_threshold!r}"
            )
        if minimum_calls < 1:
            raise ValueError(f"minimum_calls must be >= 1, got {minimum_calls!r}")
        if open_s < 0:
            raise ValueError(f"open_s must be >= 0, got {open_s!r}")
        if half_open_probes < 1:
            raise ValueError(f"half_open_probes must be >= 1, got {half_open_probes!r}")
        self.failure_rate_threshold = failure_rate_threshold
        self.minimum_calls = minimum_calls
        self.open_s = open_s
        self.half_open_probes = half_open_probes
        self.slow_call_s = slow_call_s
        self._window = SlidingCounts(window_s, buckets=buckets, kinds=2)
        self._state = BreakerState.CLOSED
        self._open_until = -math.inf
        self._probes_out = 0
        self._probes_ok = 0
        self._transitions: list[Transition] = []

    # -- state -----------------------------------------------------------------------------

    def _move(self, new: BreakerState, reason: str) -> None:
        if new is not self._state:
            self._transitions.append((self._state, new, reason))
        self._state = new

    def _open(self, now: float, reason: str, hold_s: float) -> None:
        self._open_until = now + hold_s
        self._move(BreakerState.OPEN, reason)

    def _close(self, reason: str) -> None:
        self._window.clear()
        self._open_until = -math.inf
        self._move(BreakerState.CLOSED, reason)

    def state(self, now: float) -> BreakerState:
        """The state at ``now``; an OPEN breaker whose open time has passed becomes HALF_OPEN."""
        if self._state is BreakerState.OPEN and now >= self._open_until:
            self._probes_out = 0
            self._probes_ok = 0
            self._move(BreakerState.HALF_OPEN, "open time elapsed")
        return self._state

    def retry_after(self, now: float) -> float:
        """Seconds until the breaker goes half-open: 0.0 unless OPEN, ``inf`` if forced open."""
        if self.state(now) is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._open_until - now)

    # -- calls -----------------------------------------------------------------------------

    def allow(self, now: float) -> bool:
        """Whether a call may go upstream now; in HALF_OPEN an allowed call is a probe."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes_out < self.half_open_probes:
            self._probes_out += 1
            return True
        return False

    def release(self, now: float) -> None:
        """An allowed call ended without an outcome (e.g. cancelled): free its probe slot."""
        if self.state(now) is BreakerState.HALF_OPEN and self._probes_out > 0:
            self._probes_out -= 1

    def record(self, ok: bool, duration_s: float, now: float) -> None:
        """Record the outcome of an allowed call that took ``duration_s`` and ended at ``now``."""
        failed = not ok or (self.slow_call_s is not None and duration_s > self.slow_call_s)
        state = self.state(now)
        if state is BreakerState.CLOSED:
            self._window.add(now, _CALLS)
            if failed:
                self._window.add(now, _FAILURES)
            self._check_rate(now)
        elif state is BreakerState.HALF_OPEN and self._probes_out > 0:
            self._probes_out -= 1
            if failed:
                self._open(now, "probe failed" if not ok else "probe was slow", self.open_s)
            else:
                self._probes_ok += 1
                if self._probes_ok >= self.half_open_probes:
                    self._close(f"{self._probes_ok} probes succeeded")

    def _check_rate(self, now: float) -> None:
        calls = self._window.total(now, _CALLS)
        if calls < self.minimum_calls:
            return
        rate = self._window.total(now, _FAILURES) / calls
        if rate >= self.failure_rate_threshold:
            self._open(
                now,
                f"failure rate {rate:.2f} >= {self.failure_rate_threshold:.2f} over {calls} calls",
                self.open_s,
            )

    # -- manual control (drills) -----------------------------------------------------------

    def force_open(self, now: float, *, hold_s: float | None = None) -> None:
        """Open now, for ``hold_s`` seconds, or until :meth:`force_close` when ``hold_s`` is None."""
        self._open(now, "forced open", math.inf if hold_s is None else hold_s)

    def force_close(self, now: float) -> None:
        """Close now with a fresh window; the breaker then works normally again."""
        self._close("forced close")

    # -- observation -----------------------------------------------------------------------

    def failure_rate(self, now: float) -> float | None:
        """Failures / calls over the CLOSED window at ``now``; ``None`` when it holds no calls."""
        calls = self._window.total(now, _CALLS)
        if calls == 0:
            return None
        return self._window.total(now, _FAILURES) / calls

    def calls_in_window(self, now: float) -> int:
        """Outcomes counted in the CLOSED window at ``now``."""
        return self._window.total(now, _CALLS)

    def drain_transitions(self) -> list[Transition]:
        """State changes since the last drain, oldest first, as ``(old, new, reason)``."""
        drained, self._transitions = self._transitions, []
        return drained
