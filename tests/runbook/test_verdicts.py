"""Inconclusive drills, waivers, errors of the check itself, and the selection options."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from llmops.errors import InputError
from llmops.workflows.runbook import drills, questions
from tests.runbook.conftest import NOW, answer, run_check, statuses

TODAY = dt.datetime.fromtimestamp(NOW, dt.timezone.utc).date()


def test_a_drill_whose_fault_never_fires_is_inconclusive(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drills, "outage_profile", lambda feature: drills.healthy_profile(feature))
    result = run_check(config, question_numbers=[1])
    a = answer(result, "classify", 1)
    assert a.status == "inconclusive" and "never fired" in a.message
    assert result.exit_code == 1


def waiver(question: int, feature: str, expires: dt.date) -> dict[str, Any]:
    return {"question": question, "feature": feature, "reason": "new suite lands next sprint",
            "owner": "ana", "expires": expires.isoformat()}  # fmt: skip


def test_a_waiver_turns_a_failure_into_waived(config: dict[str, Any]) -> None:
    del config["runbook"]["features"]["classify"]["eval_suite"]
    config["runbook"]["waivers"] = [waiver(4, "classify", TODAY + dt.timedelta(days=3))]
    result = run_check(config)
    a = answer(result, "classify", 4)
    assert a.status == "waived" and a.waiver is not None and "ana" in a.waiver
    assert result.exit_code == 0
    audited = run_check(config, waivers=False)
    assert answer(audited, "classify", 4).status == "fail" and audited.exit_code == 1


def test_an_expired_waiver_fails(config: dict[str, Any]) -> None:
    del config["runbook"]["features"]["classify"]["eval_suite"]
    config["runbook"]["waivers"] = [waiver(4, "classify", TODAY - dt.timedelta(days=1))]
    result = run_check(config)
    a = answer(result, "classify", 4)
    assert a.status == "fail" and a.message.startswith(
        f"waiver expired on {TODAY - dt.timedelta(days=1)}"
    )
    assert "renew the waiver (ana)" in a.fix
    assert result.exit_code == 1


def test_an_unused_waiver_is_reported(config: dict[str, Any]) -> None:
    config["runbook"]["waivers"] = [waiver(3, "summarize", TODAY + dt.timedelta(days=3))]
    result = run_check(config, question_numbers=[3, 5])
    assert set(statuses(result).values()) == {"pass"}
    assert len(result.unused_waivers) == 1 and result.unused_waivers[0].startswith(
        "unused: question 3 of summarize"
    )


def test_a_check_that_cannot_run_is_an_error_and_exit_3(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(questions, "fallback", broken)
    result = run_check(config, question_numbers=[5])
    assert answer(result, "classify", 5).status == "error"
    assert result.exit_code == 3


def test_without_drills_the_config_is_checked_and_drilled_answers_warn(
    config: dict[str, Any],
) -> None:
    result = run_check(config, drills=False)
    assert {q: s for (f, q), s in statuses(result).items() if f == "classify"} == {
        1: "warn", 2: "warn", 3: "pass", 4: "pass", 5: "pass", 6: "warn"
    }  # fmt: skip
    assert all("not drilled" in answer(result, "classify", q).message for q in (1, 2, 6))


def test_feature_and_question_select_the_answers(config: dict[str, Any]) -> None:
    result = run_check(config, features=["summarize"], question_numbers=[3, 5])
    assert sorted(statuses(result)) == [("summarize", 3), ("summarize", 5)]


def test_an_unknown_feature_is_bad_input_with_a_suggestion(config: dict[str, Any]) -> None:
    with pytest.raises(InputError, match=r"no feature 'sumarize'.*did you mean 'summarize'"):
        run_check(config, features=["sumarize"])
