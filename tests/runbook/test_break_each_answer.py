"""Break each runbook answer in turn: exactly that check fails, naming what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmops.core.breaker import CircuitBreaker
from llmops.core.ratelimit import RateLimiter
from llmops.engine.fallbacks import Fallbacks
from llmops.stores.reprocess import SqliteReprocessQueue
from tests.runbook.conftest import (
    DAY,
    NOW,
    answer,
    eval_run,
    loadtest_report,
    run_check,
    statuses,
    write_history,
    write_loadtest,
)


def only_this_fails(data: dict[str, Any], feature: str, question: int, status: str = "fail") -> Any:
    """Check ``data``; assert every answer passes except (feature, question), which has ``status``."""
    result = run_check(data)
    expected = {key: "pass" for key in statuses(result)}
    expected[(feature, question)] = status
    assert statuses(result) == expected
    assert result.exit_code == 1
    return answer(result, feature, question)


def test_the_base_configuration_passes_every_question(config: dict[str, Any]) -> None:
    result = run_check(config)
    assert set(statuses(result).values()) == {"pass"}
    assert len(result.answers()) == 12
    assert result.exit_code == 0


def test_no_fallback_fails_question_5(config: dict[str, Any]) -> None:
    del config["features"]["classify"]["fallback"]
    a = only_this_fails(config, "classify", 5)
    assert "no fallback declared" in a.message and "features.classify.fallback" in a.fix


def test_a_fallback_that_raises_fails_question_1(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config["features"] = {"classify": config["features"]["classify"]}
    config["runbook"]["features"] = {"classify": config["runbook"]["features"]["classify"]}

    async def broken(self: Fallbacks, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Fallbacks, "answer", broken)
    result = run_check(config)
    a = answer(result, "classify", 1)
    assert a.status == "fail" and "raised RuntimeError: disk full" in a.message
    assert "features.classify.fallback" in a.fix
    # the breaker drill's calls while open must end in the fallback too: it fails, saying so
    assert "while the breaker was open raised RuntimeError" in answer(result, "classify", 6).message
    assert {q: s for (_, q), s in statuses(result).items() if q not in (1, 6)} == {
        q: "pass" for q in (2, 3, 4, 5)
    }


def test_a_default_value_that_fails_validation_fails_question_5(config: dict[str, Any]) -> None:
    config["features"]["classify"]["validation"] = {"json": True}
    config["features"]["classify"]["fallback"]["value"] = "not json {"
    # the drill's mock answers valid JSON; the default value is what is wrong
    a = only_this_fails(config, "classify", 5)
    assert "fails the feature's validation" in a.message and "not valid JSON" in a.message
    assert "features.classify.fallback.value" in a.fix


def test_no_limiter_fails_question_2(config: dict[str, Any]) -> None:
    del config["limits"]["requests_per_minute"]
    result = run_check(config)
    for feature in ("classify", "summarize"):
        a = answer(result, feature, 2)
        assert a.status == "fail" and "no rate limit declared" in a.message
        assert "limits.requests_per_minute" in a.fix
    assert {s for (_, q), s in statuses(result).items() if q != 2} == {"pass"}


def test_an_engine_that_lets_a_429_through_fails_question_2(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config["features"] = {"classify": config["features"]["classify"]}
    config["runbook"]["features"] = {"classify": config["runbook"]["features"]["classify"]}
    config["retry"] = {"max_attempts": 1}
    monkeypatch.setattr(RateLimiter, "try_acquire", lambda self, tokens, now: 0.0)
    a = only_this_fails(config, "classify", 2)
    assert "ended in the provider's 429" in a.message
    assert "more than the burst" in a.message


def test_a_missing_loadtest_report_fails_question_3(config: dict[str, Any], evidence: Path) -> None:
    (evidence / "loadtest.json").unlink()
    result = run_check(config)
    a = answer(result, "classify", 3)
    assert a.status == "fail" and "no loadtest report" in a.message
    assert "llmops loadtest --config llmops.yaml --feature classify --levels 4,8" in a.fix


def test_an_old_loadtest_report_is_stale(config: dict[str, Any], evidence: Path) -> None:
    config["runbook"]["evidence"]["max_age"] = "30m"
    result = run_check(config)
    a = answer(result, "summarize", 3)
    assert a.status == "stale" and "1.0h old (max_age 30m)" in a.message
    assert "llmops loadtest" in a.fix
    assert result.exit_code == 1


def test_a_report_for_another_model_fails_question_3(
    config: dict[str, Any], evidence: Path
) -> None:
    write_loadtest(evidence / "loadtest.json", loadtest_report(model="gpt-4o"))
    a = answer(run_check(config), "classify", 3)
    assert a.status == "fail" and "model 'gpt-4o', the feature uses 'mock-1'" in a.message


def test_a_report_for_another_provider_fails_question_3(
    config: dict[str, Any], evidence: Path
) -> None:
    write_loadtest(evidence / "loadtest.json", loadtest_report(target="built-in mock"))
    a = answer(run_check(config), "classify", 3)
    assert a.status == "fail" and "not provider main" in a.message


def test_a_report_for_another_feature_fails_question_3(
    config: dict[str, Any], evidence: Path
) -> None:
    label = "feature classify (provider main, http://127.0.0.1:8787/v1)"
    write_loadtest(evidence / "loadtest.json", loadtest_report(target=label))
    result = run_check(config, question_numbers=[3])
    assert answer(result, "classify", 3).status == "pass"
    a = answer(result, "summarize", 3)
    assert a.status == "fail" and "the report is for another feature" in a.message
    assert "--feature summarize" in a.fix


def test_a_peak_not_reached_fails_question_3(config: dict[str, Any]) -> None:
    config["runbook"]["features"]["classify"]["peak_concurrency"] = 50
    a = only_this_fails(config, "classify", 3)
    assert "peak not reached: the highest level was 8, the declared peak is 50" in a.message
    assert "--levels 25,50" in a.fix


def test_p95_over_budget_fails_question_3(config: dict[str, Any]) -> None:
    config["runbook"]["features"]["summarize"]["p95_budget"] = "0.5s"
    a = only_this_fails(config, "summarize", 3)
    assert "p95 over budget" in a.message and "p95 0.90s (budget 0.5s)" in a.numbers


def test_a_success_rate_below_the_floor_fails_question_3(config: dict[str, Any]) -> None:
    config["runbook"]["features"]["summarize"]["success_floor"] = 0.999
    a = only_this_fails(config, "summarize", 3)
    assert "success_floor" in a.message


def test_no_recent_eval_run_is_stale(config: dict[str, Any], evidence: Path) -> None:
    (evidence / "history.sqlite3").unlink()
    write_history(
        evidence / "history.sqlite3", [eval_run(i, NOW - (5 - i) * DAY) for i in range(3)]
    )
    result = run_check(config)
    a = answer(result, "classify", 4)
    assert a.status == "stale" and "no recent eval run: the latest is 3.0d old" in a.message
    assert "llmops eval suite" in a.fix and "--every 24h" in a.fix


def test_no_eval_run_in_the_window_fails_question_4(config: dict[str, Any], evidence: Path) -> None:
    (evidence / "history.sqlite3").unlink()
    write_history(
        evidence / "history.sqlite3", [eval_run(i, NOW - (10 - i) * DAY) for i in range(3)]
    )
    a = answer(run_check(config), "classify", 4)
    assert a.status == "fail" and "no run of suite suite in the last 7d" in a.message


def test_no_eval_history_fails_question_4(config: dict[str, Any], evidence: Path) -> None:
    (evidence / "history.sqlite3").unlink()
    a = answer(run_check(config), "classify", 4)
    assert a.status == "fail" and "no eval history" in a.message
    assert not (evidence / "history.sqlite3").exists()  # never created by the check


def test_a_regression_verdict_fails_question_4(config: dict[str, Any], evidence: Path) -> None:
    write_history(evidence / "history.sqlite3", [eval_run(9, NOW - 60, failing=30)])
    # the three paced runs are there too: only the verdict is wrong
    a = answer(run_check(config), "classify", 4)
    assert a.status == "fail" and a.message.startswith("REGRESSION")


def test_a_single_recent_run_is_not_a_schedule(config: dict[str, Any], evidence: Path) -> None:
    (evidence / "history.sqlite3").unlink()
    write_history(evidence / "history.sqlite3", [eval_run(i, NOW - 600 + i * 60) for i in range(3)])
    a = answer(run_check(config), "classify", 4)
    assert a.status == "fail" and "not a schedule: 1 run(s) at the declared pace" in a.message


def test_a_suite_too_small_for_the_threshold_warns(config: dict[str, Any]) -> None:
    config["runbook"]["features"]["classify"]["alert_threshold"] = 0.01
    result = run_check(config)
    a = answer(result, "classify", 4)
    assert a.status == "warn" and "add cases or repeats" in a.fix
    assert result.exit_code == 0
    assert run_check(config, fail_on="warn").exit_code == 1


def test_a_breaker_that_never_opens_fails_question_6(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CircuitBreaker, "_check_rate", lambda self, now: None)
    result = run_check(config, question_numbers=[6])
    a = answer(result, "classify", 6)
    assert a.status == "fail" and "the breaker never opened" in a.message
    assert "breaker." in a.fix


def test_a_breaker_that_never_closes_fails_question_6(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CircuitBreaker, "_close", lambda self, reason: None)
    a = answer(run_check(config, question_numbers=[6]), "classify", 6)
    assert a.status == "fail" and "the breaker never closed" in a.message


def test_a_disabled_breaker_fails_question_6(config: dict[str, Any]) -> None:
    config["breaker"] = {"enabled": False}
    a = answer(run_check(config, question_numbers=[6]), "summarize", 6)
    assert a.status == "fail" and a.fix == "set breaker.enabled: true"


def test_declared_limits_above_the_advertised_fail_question_2(
    config: dict[str, Any], evidence: Path
) -> None:
    write_loadtest(
        evidence / "loadtest.json", loadtest_report(advertised_limits={"requests_per_minute": 100})
    )
    a = answer(run_check(config), "classify", 2)
    assert a.status == "fail" and "requests_per_minute 120 > advertised 100" in a.message
    assert "limits.requests_per_minute" in a.fix


def test_several_instances_without_shared_state_fail_question_2(config: dict[str, Any]) -> None:
    config["state"] = {"instances": 3}
    result = run_check(config)
    a = answer(result, "classify", 2)
    assert a.status == "fail" and "3 instances with memory state" in a.message
    assert "state.backend: redis" in a.fix
    assert {s for (_, q), s in statuses(result).items() if q != 2} == {"pass"}


def test_no_answer_sentence_fails_question_1(config: dict[str, Any]) -> None:
    del config["runbook"]["features"]["summarize"]["when_down"]
    a = only_this_fails(config, "summarize", 1)
    assert a.fix == "set runbook.features.summarize.when_down"


def test_trusting_the_providers_headers_instead_of_declared_limits_passes_question_2(
    config: dict[str, Any],
) -> None:
    del config["limits"]["requests_per_minute"]
    config["runbook"]["features"]["classify"]["trust_provider_limits"] = True
    a = answer(run_check(config, features=["classify"], question_numbers=[2]), "classify", 2)
    assert a.status == "pass" and "provider headers" in a.message
    assert "0 x 429 reached the caller" in a.numbers


def test_without_a_runbook_section_the_fix_says_to_run_init(config: dict[str, Any]) -> None:
    del config["runbook"]
    result = run_check(config, question_numbers=[1, 3, 4])
    a = answer(result, "classify", 1)
    assert a.status == "fail" and a.fix.startswith("run `llmops runbook init`")
    assert {s for s in statuses(result).values()} == {"fail"}


def test_a_queue_path_that_cannot_be_written_fails_question_5(
    config: dict[str, Any], evidence: Path
) -> None:
    (evidence / "a-file").write_text("not a folder")
    config["features"]["summarize"]["fallback"]["path"] = str(evidence / "a-file" / "queue.sqlite3")
    a = only_this_fails(config, "summarize", 5)
    assert "is not writable" in a.message and "features.summarize.fallback.path" in a.fix


def test_queued_calls_that_cannot_be_read_back_fail_question_1(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SqliteReprocessQueue, "pending", lambda self, limit=100: [])
    a = answer(run_check(config, question_numbers=[1]), "summarize", 1)
    assert a.status == "fail" and "could be read back from the queue" in a.message
