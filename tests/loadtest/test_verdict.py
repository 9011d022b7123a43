"""The verdict's sentences agree with its numbers, whatever the ladder looked like."""

from __future__ import annotations

import pytest

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


def failing(load: float, ok: int, failed: int, cls: str, cause: str) -> LevelResult:
    """A level whose failures carry one class and one cause (as a caller records them)."""
    rec = LevelRecorder()
    for _ in range(ok):
        rec.attempt(200, None)
        rec.success(0.4, 50)
    for _ in range(failed):
        rec.attempt(None, cls)
        rec.failure(cls, 0.01)
        rec.cause(cause)
    return rec.summary(load, elapsed_s=10.0)


@pytest.mark.parametrize(
    ("kind", "cls", "cause"),
    [
        ("http", "http_503", "HTTP 503 (success is 2xx)"),
        ("function", "TimeoutError", "raised TimeoutError: pool exhausted"),
    ],
)
def test_a_feature_called_end_to_end_is_judged_by_its_own_errors(
    kind: str, cls: str, cause: str
) -> None:
    levels = [failing(2, 100, 0, cls, cause), failing(4, 10, 90, cls, cause)]
    text = " ".join(make_verdict(levels, LoadtestOptions(), target_kind=kind).lines)
    assert f"failures were mostly {cls} (100% of 90)" in text
    assert f"the feature's errors: {cause} x90" in text
    for engine_only in ("upstream", "breaker", "fallback", "limits.max_concurrency"):
        assert engine_only not in text
    assert "cap the feature's own admission" in text


def test_an_api_target_still_speaks_of_the_upstream_cause_and_the_engine_limits() -> None:
    cause = "HTTP 503 (overloaded)"
    levels = [failing(2, 100, 0, "overloaded", cause), failing(4, 10, 90, "overloaded", cause)]
    for verdict in (
        make_verdict(levels, LoadtestOptions()),
        make_verdict(levels, LoadtestOptions(), target_kind="anthropic"),
    ):
        text = " ".join(verdict.lines)
        assert f"the upstream cause behind them: {cause} (90 of 90)" in text
        assert "set limits.max_concurrency + limits.queue_limit to it" in text
        assert "the feature's errors" not in text


def test_a_feature_whose_retries_absorbed_failures_is_not_said_to_have_upstream_ones() -> None:
    # past a latency knee attempts failed but every request succeeded: for an API these are
    # upstream failures the engine's retries absorbed; an end-to-end feature has no such layer
    rec = LevelRecorder()
    for _ in range(50):
        rec.attempt(503, "overloaded")
        rec.attempt(200, None)
        rec.success(4.0, 50)
    levels = [level(2, 100), rec.summary(4, elapsed_s=1.0)]
    api = " ".join(make_verdict(levels, LoadtestOptions(latency_budget_s=0.2)).lines)
    own = " ".join(
        make_verdict(levels, LoadtestOptions(latency_budget_s=0.2), target_kind="http").lines
    )
    assert "upstream failures (absorbed by retries or fallbacks)" in api
    assert "upstream" not in own
