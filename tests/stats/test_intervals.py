from __future__ import annotations

import numpy as np
import pytest

from llmops.stats.intervals import LatencyRecorder, percentiles, wilson_interval


def test_percentiles_of_one_to_hundred() -> None:
    result = percentiles([float(x) for x in range(1, 101)])
    assert result == pytest.approx(
        {"p50": 50.5, "p90": 90.1, "p95": 95.05, "p99": 99.01, "max": 100.0, "mean": 50.5}
    )


def test_percentiles_interpolate_linearly() -> None:
    result = percentiles([1.0, 2.0, 3.0, 10.0], qs=(50, 90))
    assert result["p50"] == pytest.approx(2.5)
    assert result["p90"] == pytest.approx(7.9)  # 3 + 0.7 * (10 - 3)


def test_percentiles_match_numpy() -> None:
    samples = np.random.default_rng(7).lognormal(size=1001)
    result = percentiles(samples, qs=(50, 99.9))
    assert result["p50"] == pytest.approx(float(np.percentile(samples, 50)))
    assert result["p99.9"] == pytest.approx(float(np.percentile(samples, 99.9)))


def test_percentiles_of_unsorted_input() -> None:
    assert percentiles([3.0, 1.0, 2.0], qs=(50,))["p50"] == 2.0


def test_percentiles_of_single_sample() -> None:
    assert percentiles([0.25]) == {
        "p50": 0.25,
        "p90": 0.25,
        "p95": 0.25,
        "p99": 0.25,
        "max": 0.25,
        "mean": 0.25,
    }


def test_percentiles_empty() -> None:
    assert percentiles([]) == {}


def test_percentile_values_are_python_floats() -> None:
    assert all(type(v) is float for v in percentiles([1.0, 2.0]).values())


def test_wilson_eight_of_ten() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


def test_wilson_half() -> None:
    low, high = wilson_interval(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)


def test_wilson_zero_successes_starts_at_zero() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert round(high, 4) == 0.2775


def test_wilson_all_successes_ends_at_one() -> None:
    low, high = wilson_interval(10, 10)
    assert round(low, 4) == 0.7225
    assert high == 1.0


def test_wilson_wider_z_widens() -> None:
    low95, high95 = wilson_interval(8, 10)
    low99, high99 = wilson_interval(8, 10, z=2.576)
    assert low99 < low95 and high99 > high95


def test_wilson_no_trials() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_rejects_more_successes_than_trials() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)


def test_recorder_keeps_samples_in_order_across_growth() -> None:
    recorder = LatencyRecorder(initial_capacity=2)
    for x in (0.5, 0.1, 0.9, 0.3, 0.7):
        recorder.add(x)
    assert len(recorder) == 5
    assert recorder.values().tolist() == [0.5, 0.1, 0.9, 0.3, 0.7]


def test_recorder_stores_float64() -> None:
    recorder = LatencyRecorder()
    recorder.add(1.0)
    assert recorder.values().dtype == np.float64
    assert recorder.values().itemsize == 8


def test_recorder_values_are_a_read_only_snapshot() -> None:
    recorder = LatencyRecorder(initial_capacity=4)
    recorder.add(1.0)
    snapshot = recorder.values()
    recorder.add(2.0)
    assert snapshot.tolist() == [1.0]
    with pytest.raises(ValueError):
        snapshot[0] = 5.0


def test_recorder_percentiles() -> None:
    recorder = LatencyRecorder()
    for x in range(1, 101):
        recorder.add(float(x))
    assert recorder.percentiles(qs=(50, 90)) == pytest.approx(
        {"p50": 50.5, "p90": 90.1, "max": 100.0, "mean": 50.5}
    )


def test_empty_recorder() -> None:
    recorder = LatencyRecorder()
    assert len(recorder) == 0
    assert recorder.percentiles() == {}
