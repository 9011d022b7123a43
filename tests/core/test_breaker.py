from __future__ import annotations

import math

import pytest

from llmops.core.breaker import BreakerState, CircuitBreaker

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def make(**overrides: float | int | None) -> CircuitBreaker:
    settings: dict[str, float | int | None] = {
        "failure_rate_threshold": 0.5,
        "window_s": 10.0,
        "minimum_calls": 4,
        "open_s": 30.0,
        "half_open_probes": 2,
    }
    settings.update(overrides)
    return CircuitBreaker(**settings)  # type: ignore[arg-type]


def record_many(breaker: CircuitBreaker, outcomes: str, now: float) -> None:
    """Record one call per character: ``o`` ok, ``x`` failed."""
    for c in outcomes:
        breaker.record(c == "o", 0.1, now)


def opened(now: float = 0.0, **overrides: float | int | None) -> CircuitBreaker:
    breaker = make(**overrides)
    record_many(breaker, "xxxx", now)
    breaker.drain_transitions()
    return breaker


def test_state_values() -> None:
    assert [s.value for s in BreakerState] == ["closed", "open", "half_open"]


def test_starts_closed_and_allows() -> None:
    breaker = make()
    assert breaker.state(0.0) is CLOSED
    assert breaker.allow(0.0) is True


def test_opens_at_threshold_once_minimum_calls_seen() -> None:
    breaker = make()
    record_many(breaker, "ooxx", now=1.0)  # 2/4 = 0.5 >= 0.5
    assert breaker.state(1.0) is OPEN


def test_stays_closed_below_minimum_calls() -> None:
    breaker = make()
    record_many(breaker, "xxx", now=1.0)  # 100% failures, but only 3 calls
    assert breaker.state(1.0) is CLOSED


def test_stays_closed_below_threshold() -> None:
    breaker = make()
    record_many(breaker, "oooxx", now=1.0)  # 2/5 = 0.4
    assert breaker.state(1.0) is CLOSED


def test_old_failures_leave_the_window() -> None:
    breaker = make()
    record_many(breaker, "xxx", now=0.0)
    record_many(breaker, "x", now=10.5)  # the three at 0.0 have expired
    assert breaker.state(10.5) is CLOSED
    assert breaker.calls_in_window(10.5) == 1


def test_open_refuses_calls() -> None:
    breaker = opened()
    assert breaker.allow(5.0) is False


def test_slow_success_counts_as_failure() -> None:
    breaker = make(slow_call_s=2.0)
    for _ in range(4):
        breaker.record(True, 2.5, 1.0)
    assert breaker.state(1.0) is OPEN


def test_success_at_slow_threshold_is_not_slow() -> None:
    breaker = make(slow_call_s=2.0)
    for _ in range(4):
        breaker.record(True, 2.0, 1.0)
    assert breaker.state(1.0) is CLOSED


def test_slow_calls_ignored_without_slow_call_s() -> None:
    breaker = make()
    for _ in range(4):
        breaker.record(True, 500.0, 1.0)
    assert breaker.state(1.0) is CLOSED


def test_retry_after_counts_down_open_time() -> None:
    breaker = opened(now=0.0)
    assert breaker.retry_after(10.0) == pytest.approx(20.0)


def test_retry_after_zero_when_closed() -> None:
    assert make().retry_after(0.0) == 0.0


def test_becomes_half_open_after_open_s() -> None:
    breaker = opened(now=0.0)
    assert breaker.state(29.9) is OPEN
    assert breaker.state(30.0) is HALF_OPEN


def test_half_open_allows_limited_outstanding_probes() -> None:
    breaker = opened(now=0.0, half_open_probes=2)
    assert [breaker.allow(30.0) for _ in range(3)] == [True, True, False]


def test_finished_probe_frees_its_slot() -> None:
    breaker = opened(now=0.0, half_open_probes=2)
    breaker.allow(30.0)
    breaker.allow(30.0)
    breaker.record(True, 0.1, 31.0)
    assert breaker.allow(31.0) is True


def test_released_probe_frees_its_slot() -> None:
    breaker = opened(now=0.0, half_open_probes=1)
    breaker.allow(30.0)
    breaker.release(30.5)
    assert breaker.allow(30.5) is True


def test_probe_successes_close_with_fresh_window() -> None:
    breaker = opened(now=0.0, half_open_probes=2)
    breaker.allow(30.0)
    breaker.allow(30.0)
    record_many(breaker, "oo", now=31.0)
    assert breaker.state(31.0) is CLOSED
    assert breaker.failure_rate(31.0) is None  # the failures that opened it are forgotten


def test_fewer_probe_successes_stay_half_open() -> None:
    breaker = opened(now=0.0, half_open_probes=2)
    breaker.allow(30.0)
    breaker.record(True, 0.1, 31.0)
    assert breaker.state(31.0) is HALF_OPEN


def test_failed_probe_reopens_for_open_s() -> None:
    breaker = opened(now=0.0)
    breaker.allow(30.0)
    breaker.record(False, 0.1, 32.0)
    assert breaker.state(32.0) is OPEN
    assert breaker.retry_after(32.0) == pytest.approx(30.0)


def test_slow_probe_reopens() -> None:
    breaker = opened(now=0.0, slow_call_s=1.0)
    breaker.allow(30.0)
    breaker.record(True, 1.5, 31.5)
    assert breaker.state(31.5) is OPEN


def test_outcome_while_open_is_ignored() -> None:
    breaker = opened(now=0.0)
    breaker.record(False, 0.1, 10.0)  # a call allowed before the breaker opened
    assert breaker.retry_after(10.0) == pytest.approx(20.0)  # does not restart the open time


def test_outcome_without_outstanding_probe_is_ignored_in_half_open() -> None:
    breaker = opened(now=0.0)
    breaker.record(False, 0.1, 30.0)  # a late call from before the open, not a probe
    assert breaker.state(30.0) is HALF_OPEN


def test_force_open_holds_until_force_close() -> None:
    breaker = make()
    breaker.force_open(0.0)
    assert breaker.state(10_000.0) is OPEN
    assert breaker.retry_after(10_000.0) == math.inf
    breaker.force_close(10_000.0)
    assert breaker.allow(10_000.0) is True


def test_force_open_with_hold_goes_half_open_after_it() -> None:
    breaker = make()
    breaker.force_open(0.0, hold_s=5.0)
    assert breaker.state(5.0) is HALF_OPEN


def test_force_close_resets_the_window() -> None:
    breaker = make()
    record_many(breaker, "xxx", now=0.0)
    breaker.force_close(0.0)
    record_many(breaker, "x", now=0.0)  # would have been the 4th failure
    assert breaker.state(0.0) is CLOSED


def test_failure_rate_none_without_calls() -> None:
    assert make().failure_rate(0.0) is None


def test_failure_rate_over_window() -> None:
    breaker = make(minimum_calls=100)
    record_many(breaker, "oooxooox", now=1.0)
    assert breaker.failure_rate(1.0) == 0.25


def test_transitions_record_the_whole_cycle() -> None:
    breaker = make(half_open_probes=1)
    record_many(breaker, "xxxx", now=0.0)
    breaker.allow(30.0)
    breaker.record(False, 0.1, 30.0)
    breaker.allow(60.0)
    breaker.record(True, 0.1, 60.0)
    transitions = breaker.drain_transitions()
    assert [(old.value, new.value) for old, new, _ in transitions] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


def test_transition_reason_names_the_failure_rate() -> None:
    breaker = make()
    record_many(breaker, "oxxx", now=0.0)
    [(_, _, reason)] = breaker.drain_transitions()
    assert reason == "failure rate 0.75 >= 0.50 over 4 calls"


def test_forced_transitions_say_so() -> None:
    breaker = make()
    breaker.force_open(0.0)
    breaker.force_close(1.0)
    assert breaker.drain_transitions() == [
        (CLOSED, OPEN, "forced open"),
        (OPEN, CLOSED, "forced close"),
    ]


def test_drain_empties_the_list() -> None:
    breaker = opened()
    breaker.force_close(1.0)
    breaker.drain_transitions()
    assert breaker.drain_transitions() == []


def test_no_transition_when_state_does_not_change() -> None:
    breaker = make()
    breaker.force_close(0.0)
    assert breaker.drain_transitions() == []


def test_rejects_threshold_above_one() -> None:
    with pytest.raises(ValueError, match="failure_rate_threshold"):
        CircuitBreaker(failure_rate_threshold=1.5)
