"""The verdict's sentences agree with its numbers, whatever the ladder looked like."""

from __future__ import annotations

from llmops.workflows.loadtest import LevelResult, LoadtestOptions
from llmops.workflows.loadtest.metrics import LevelRecorder
from llmops.workflows.loadtest.verdict import make_verdict


def level(load: float, ok: int, failed: int = 0, latency_s: float = 0.4) -> LevelResult:
    rec = LevelRecorder()
    for _ in range(ok):
        rec.attempt(200, None)
        rec.success(latency_s, 50)
    for _ in range(failed):
        rec.attempt(None, "connection_error")
        rec.failure("connection_error", 0.01)
    return rec.summary(load, elapsed_s=10.0)


def test_a_ladder_that_fails_from_the_first_level_has_no_ceiling_above_it() -> None:
    verdict = make_verdict([level(10, 0, 100), level(20, 0, 100)], LoadtestOptions())
    text = " ".join(verdict.lines)
    assert "above the highest level" not in text
    assert "already at the lowest level (10 clients) only 0.0% succeeded" in text
    assert "connection_error" in text and verdict.dominant_failure == "connection_error"
    assert "Throughput ceiling" not in text


def test_no_finished_level_gives_no_verdict_about_a_ceiling() -> None:
    verdict = make_verdict([], LoadtestOptions())
    assert verdict.lines == ["No level finished: nothing to judge."]


def test_the_recommended_queue_limit_sentence_names_the_recommended_number() -> None:
    # knee at 20 (success drops): 90% of 20 = 18; Little's law: 30/s x 0.2 s = 6 -> 6 wins
    levels = [level(10, 300), level(20, 150, 150)]
    verdict = make_verdict(levels, LoadtestOptions(latency_budget_s=0.2))
    assert verdict.recommended_queue_limit == 6
    said = [line for line in verdict.lines if line.startswith("Recommended queue limit")]
    assert said and said[0].startswith("Recommended queue limit: 6 ")


def test_a_latency_budget_without_a_knee_still_recommends_a_limit_in_words() -> None:
    verdict = make_verdict([level(10, 300)], LoadtestOptions(latency_budget_s=0.2))
    assert verdict.recommended_queue_limit == 6
    assert any(line.startswith("Recommended queue limit: 6 ") for line in verdict.lines)
