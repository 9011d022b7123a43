"""A level's record merges exactly: percentiles of the merge are those of the pooled samples."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmops.errors import InputError
from llmops.stats.intervals import percentiles
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.record import NO_COMMON_WINDOW, LevelRecord, merge_records

latencies = st.lists(
    st.floats(min_value=1e-4, max_value=120.0, allow_nan=False), min_size=0, max_size=60
)


def _record(samples: list[float], errors: int, start: float, end: float) -> LevelRecord:
    rec = LevelRecorder()
    for x in samples:
        rec.attempt(200, None)
        rec.success(x, 7)
    for _ in range(errors):
        rec.attempt(503, "overloaded")
        rec.failure("overloaded", 0.01)
    ends = np.linspace(start, end, len(samples) + errors) if samples or errors else None
    return rec.record(load=1.0, start=start, end=end, ends=ends)


def _round_trip(record: LevelRecord) -> LevelRecord:
    return LevelRecord.from_json(orjson.loads(orjson.dumps(record.to_json())))


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.tuples(latencies, st.integers(0, 5)), min_size=1, max_size=5))
def test_merged_percentiles_equal_the_pooled_samples(parts: list[tuple[list[float], int]]) -> None:
    records = [_round_trip(_record(s, e, 100.0, 110.0)) for s, e in parts]
    merged = merge_records(records).summary()
    pooled = [x for s, _ in parts for x in s]
    if not pooled:
        assert merged.latency_ms is None
        return
    expected = {k: round(v * 1000, 2) for k, v in percentiles(pooled, (50, 90, 95, 99)).items()}
    assert merged.latency_ms == expected
    assert merged.requests == sum(len(s) + e for s, e in parts)
    assert merged.errors_by_class.get("overloaded", 0) == sum(e for _, e in parts)


def test_a_record_survives_json_exactly() -> None:
    record = _record([0.123456789, 1e-4, 3.5], 2, 1_700_000_000.25, 1_700_000_010.5)
    back = _round_trip(record)
    assert back.latency.tolist() == record.latency.tolist()
    assert back.ends.tolist() == record.ends.tolist()
    assert back.summary() == record.summary()


def test_rates_are_over_the_common_steady_window() -> None:
    # two parts, each 10 answers/s over its own 10 s; they overlap for 5 s (105..110)
    a = _record([0.1] * 100, 0, 100.0, 110.0)
    b = _record([0.1] * 100, 0, 105.0, 115.0)
    a.steady_end, b.steady_end = 110.0, 115.0
    merged = merge_records([a, b])
    assert (merged.start, merged.steady_end) == (105.0, 110.0)
    # in the common window both parts answered: about 20/s
    assert merged.summary().throughput_rps == pytest.approx(20.0, rel=0.05)


def test_parts_that_never_overlapped_are_rated_over_their_whole_span() -> None:
    a = _record([0.1] * 10, 0, 100.0, 110.0)
    b = _record([0.1] * 10, 0, 120.0, 130.0)
    merged = merge_records([a, b])
    assert merged.steady_end is None
    summary = merged.summary()
    assert summary.request_rate_rps == pytest.approx(20 / 30)
    assert any(NO_COMMON_WINDOW in r for r in summary.self_check["reasons"])


def test_the_self_check_of_every_part_is_listed() -> None:
    a, b = _record([0.1], 0, 0.0, 1.0), _record([0.1], 0, 0.0, 1.0)
    a.self_checks = [{"part": "worker 1/2", "client_bound": False, "reasons": []}]
    b.self_checks = [{"part": "worker 2/2", "client_bound": True, "reasons": ["client CPU 95%"]}]
    check = merge_records([a, b]).summary().self_check
    assert check["client_bound"] is True
    assert check["reasons"] == ["worker 2/2: client CPU 95%"]
    assert [w["part"] for w in check["workers"]] == ["worker 1/2", "worker 2/2"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"requests": -1}, "requests: got -1, expected a count"),
        ({"latency": "not base64!"}, "latency: expected base64"),
        ({"bogus": 1}, "unknown key 'bogus'"),
    ],
)
def test_a_damaged_record_is_named(change: dict[str, object], message: str) -> None:
    data = {**_record([0.1], 0, 0.0, 1.0).to_json(), **change}
    with pytest.raises(InputError, match=message):
        LevelRecord.from_json(data, "part.json: levels[0]")
