from __future__ import annotations

import pytest

from llmops.core.window import SlidingCounts


def test_counts_events_within_window() -> None:
    counts = SlidingCounts(10.0, buckets=10)
    counts.add(0.5)
    counts.add(3.2, n=2)
    assert counts.total(5.0) == 3


def test_kinds_are_counted_separately() -> None:
    counts = SlidingCounts(10.0, kinds=2)
    counts.add(1.0, kind=0)
    counts.add(1.0, kind=1, n=4)
    assert (counts.total(1.0, kind=0), counts.total(1.0, kind=1)) == (1, 4)


def test_bucket_leaves_window_after_window_s() -> None:
    counts = SlidingCounts(10.0, buckets=10)
    counts.add(0.5)  # bucket [0, 1)
    counts.add(5.5)  # bucket [5, 6)
    assert counts.total(9.9) == 2
    assert counts.total(10.0) == 1  # bucket [0, 1) has expired, [5, 6) has not
    assert counts.total(16.0) == 0


def test_reused_slot_is_reset() -> None:
    counts = SlidingCounts(10.0, buckets=10)
    counts.add(0.5, n=7)
    counts.add(10.5)  # same slot, next lap
    assert counts.total(10.5) == 1


def test_clear_forgets_everything() -> None:
    counts = SlidingCounts(10.0)
    counts.add(1.0, n=3)
    counts.clear()
    assert counts.total(1.0) == 0


def test_rejects_non_positive_window() -> None:
    with pytest.raises(ValueError, match="window_s"):
        SlidingCounts(0.0)
