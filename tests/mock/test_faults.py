"""The pure fault model, with explicit time and seeded RNGs."""

from __future__ import annotations

import random

import pytest

from llmops.mock import faults as fm
from llmops.mock.profile import Capacity, Faults, Latency, ModelVersion, Outage


def test_bucket_starts_full() -> None:
    assert fm.Bucket(60, now=0.0).remaining(0.0) == 60


def test_bucket_wait_is_time_to_refill_the_missing_units() -> None:
    bucket = fm.Bucket(60, now=0.0)  # one unit per second
    bucket.take(60, now=0.0)
    assert bucket.wait(1, now=0.25) == pytest.approx(0.75)


def test_bucket_refills_continuously_up_to_capacity() -> None:
    bucket = fm.Bucket(60, now=0.0)
    bucket.take(30, now=0.0)
    assert (bucket.remaining(10.0), bucket.remaining(1000.0)) == (40, 60)


def test_bucket_reset_is_time_until_full() -> None:
    bucket = fm.Bucket(120, now=0.0)  # two units per second
    bucket.take(10, now=0.0)
    assert bucket.reset_s(0.0) == pytest.approx(5.0)


def test_planner_admits_without_wait_while_slots_are_free() -> None:
    planner = fm.CapacityPlanner(Capacity(slots=2, queue=0))
    first = planner.admit(0.0)
    assert first == fm.Admission(0.0, 1)
    assert first is not None
    planner.occupy(0.0, first, 1.0)
    assert planner.admit(0.0) == fm.Admission(0.0, 2)


def test_planner_queues_until_the_earliest_slot_frees() -> None:
    planner = fm.CapacityPlanner(Capacity(slots=1, queue=1))
    planner.occupy(0.0, fm.Admission(0.0, 1), 2.0)
    admission = planner.admit(0.5)
    assert admission is not None and admission.wait_s == pytest.approx(1.5)


def test_planner_rejects_when_the_queue_is_full() -> None:
    planner = fm.CapacityPlanner(Capacity(slots=1, queue=1))
    planner.occupy(0.0, fm.Admission(0.0, 1), 2.0)
    queued = planner.admit(0.0)
    assert queued is not None
    planner.occupy(0.0, queued, 2.0)
    assert planner.admit(0.1) is None


def test_planner_reports_queue_depth_and_busy_slots() -> None:
    planner = fm.CapacityPlanner(Capacity(slots=1, queue=5))
    planner.occupy(0.0, fm.Admission(0.0, 1), 2.0)
    for _ in range(2):
        admission = planner.admit(0.0)
        assert admission is not None
        planner.occupy(0.0, admission, 2.0)
    assert (planner.busy(1.0), planner.queue_depth(1.0), planner.queue_depth(2.5)) == (1, 2, 1)


def test_slots_free_again_after_their_planned_end() -> None:
    planner = fm.CapacityPlanner(Capacity(slots=1, queue=0))
    planner.occupy(0.0, fm.Admission(0.0, 1), 1.0)
    assert planner.admit(1.0) == fm.Admission(0.0, 1)


def test_service_time_grows_with_busy_slots() -> None:
    latency = Latency(ttft_s=0.1, time_per_token_s=0.01, slot_slowdown=0.5)
    alone = fm.service_time(latency, 10, busy=1, rng=None)
    crowded = fm.service_time(latency, 10, busy=3, rng=None)
    assert [alone, crowded] == pytest.approx([0.2, 0.3])


def test_first_token_time_splits_the_service_time() -> None:
    latency = Latency(ttft_s=0.1, time_per_token_s=0.01)
    ttft, per_token = fm.first_token_time(latency, 0.4, 10)  # twice the nominal 0.2 s
    assert [ttft, per_token] == pytest.approx([0.2, 0.02])


def test_model_switches_at_the_request_count() -> None:
    spec = ModelVersion(name="a", switch_to="b", switch_after_requests=3)
    assert [fm.model_version(spec, 0.0, i)[0] for i in range(5)] == ["a", "a", "a", "b", "b"]


def test_model_switches_at_the_time() -> None:
    spec = ModelVersion(name="a", switch_to="b", switch_after_s=60)
    assert (fm.model_version(spec, 59.9, 0), fm.model_version(spec, 60.0, 0)) == (
        ("a", False),
        ("b", True),
    )


def test_outage_window_by_time_is_end_exclusive() -> None:
    outages = [Outage(start_s=10, end_s=20)]
    hits = [fm.in_outage(outages, t, 0) is not None for t in (9.99, 10.0, 19.99, 20.0)]
    assert hits == [False, True, True, False]


def test_outage_window_by_request_count() -> None:
    outages = [Outage(start_request=2, end_request=4, status=500)]
    assert [fm.in_outage(outages, 0.0, i) is not None for i in range(5)] == [
        False, False, True, True, False,
    ]  # fmt: skip


def test_outage_answers_with_its_status() -> None:
    faults = Faults(outages=[Outage(start_s=0, status=502)])
    assert fm.decide_faults(faults, 1.0, 0, False, random.Random(0)).error == "502"


def test_reset_outage_drops_the_connection() -> None:
    faults = Faults(outages=[Outage(start_s=0, status="reset")])
    assert fm.decide_faults(faults, 1.0, 0, False, random.Random(0)).reset_before


def test_error_rate_one_always_fails() -> None:
    faults = Faults(error_rates={"500": 1.0})
    decisions = {fm.decide_faults(faults, 0.0, i, False, random.Random(i)).error for i in range(20)}
    assert decisions == {"500"}


def test_error_rates_hit_their_fractions() -> None:
    faults = Faults(error_rates={"500": 0.1, "429": 0.2})
    rng = random.Random(7)
    errors = [fm.decide_faults(faults, 0.0, i, False, rng).error for i in range(10_000)]
    assert [errors.count("500"), errors.count("429")] == pytest.approx([1000, 2000], rel=0.1)


def test_same_seed_replays_the_same_faults() -> None:
    faults = Faults(error_rates={"503": 0.3}, malformed_json=0.3)

    def run(seed: int) -> list[fm.FaultDecision]:
        rng = random.Random(seed)
        return [fm.decide_faults(faults, 0.0, i, True, rng) for i in range(50)]

    assert run(5) == run(5) and run(5) != run(6)


def test_stream_faults_apply_only_to_streams() -> None:
    faults = Faults.model_validate({"stall": {"rate": 1.0, "after_chunks": 2, "seconds": 9}})
    plain = fm.decide_faults(faults, 0.0, 0, False, random.Random(0))
    streamed = fm.decide_faults(faults, 0.0, 0, True, random.Random(0))
    assert (plain.stall_at, streamed.stall_at, streamed.stall_s) == (None, 2, 9.0)


def test_reset_on_a_plain_request_happens_before_the_response() -> None:
    faults = Faults.model_validate({"reset": {"rate": 1.0}})
    assert fm.decide_faults(faults, 0.0, 0, False, random.Random(0)).reset_before


def test_retry_after_rounds_seconds_up_and_gives_milliseconds() -> None:
    assert fm.retry_after_header(1.2) == ("2", "1200")
