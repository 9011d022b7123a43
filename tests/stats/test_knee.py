"""stats.knee: knee detection and queue limits, with plain numbers."""

from __future__ import annotations

import pytest

from llmops.stats.knee import LoadPoint, knee_of, littles_law_limit, queue_limit_below


def test_no_knee_while_throughput_scales_and_latency_stays_flat() -> None:
    points = [LoadPoint(c, 1.0, 0.5, c * 2.0) for c in (10, 25, 50, 100)]
    assert knee_of(points) is None


def test_success_drop_beyond_margin_is_the_knee() -> None:
    points = [
        LoadPoint(10, 1.0, 0.5, 20),
        LoadPoint(25, 0.97, 0.5, 50),
        LoadPoint(50, 0.90, 0.5, 100),
    ]
    knee = knee_of(points, success_margin=0.05)
    assert knee is not None and (knee.load, knee.signal) == (50, "success")


def test_success_is_compared_with_the_best_level_so_far_not_a_later_one() -> None:
    points = [LoadPoint(10, 0.93, 0.5, 20), LoadPoint(25, 1.0, 0.5, 50)]
    assert knee_of(points) is None


def test_p99_growing_as_fast_as_load_is_the_knee() -> None:
    points = [LoadPoint(4, 1.0, 0.2, 20), LoadPoint(8, 1.0, 0.4, 39)]
    knee = knee_of(points)
    assert knee is not None and knee.signal == "latency"
    assert knee.numbers["elasticity"] == pytest.approx(1.0)


def test_throughput_that_stops_growing_is_the_knee() -> None:
    points = [LoadPoint(25, 1.0, 1.0, 45), LoadPoint(50, 1.0, 1.1, 50)]
    knee = knee_of(points)
    assert knee is not None and knee.signal == "throughput"
    assert "x1.11" in knee.reason


def test_small_latency_noise_is_not_a_knee() -> None:
    points = [LoadPoint(10, 1.0, 0.50, 20), LoadPoint(11, 1.0, 0.55, 22)]
    assert knee_of(points) is None


def test_points_must_increase() -> None:
    with pytest.raises(ValueError):
        knee_of([LoadPoint(10, 1, 1, 1), LoadPoint(5, 1, 1, 1)])


def test_littles_law_limit_is_throughput_times_budget() -> None:
    assert littles_law_limit(31.9, 2.0) == 63


def test_queue_limit_is_slightly_below_the_knee() -> None:
    assert queue_limit_below(50, 25) == 45


def test_queue_limit_never_below_a_level_that_coped() -> None:
    assert queue_limit_below(10, 9.5) == 9


def test_capacity_between_two_steps_is_caught_against_the_best_pace() -> None:
    # capacity 29 clients at 1 answer/s each: 20 -> 40 clients gives x1.45 throughput
    # (elasticity 0.54, not below 0.5) and p99 x1.3 (0.38), but each client now gets 72%
    # of the pace it got at 10 and 20 clients
    points = [
        LoadPoint(10, 1.0, 1.0, 10.0),
        LoadPoint(20, 1.0, 1.0, 20.0),
        LoadPoint(40, 1.0, 1.3, 29.0),
    ]
    knee = knee_of(points)
    assert knee is not None and (knee.load, knee.signal) == (40, "efficiency")
    assert knee.numbers["efficiency"] == pytest.approx(0.725)


def test_pace_within_the_margin_is_not_a_knee() -> None:
    points = [LoadPoint(10, 1.0, 1.0, 10.0), LoadPoint(20, 1.0, 1.0, 17.0)]
    assert knee_of(points) is None
