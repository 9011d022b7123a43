"""Each check type on passing and failing outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import TypeAdapter

from llmops.errors import InputError
from llmops.workflows.evals.checks import evaluate, run_checks, verdict_from_value
from llmops.workflows.evals.judge import parse_judgement
from llmops.workflows.evals.records import CheckVerdict
from llmops.workflows.evals.suite import Check, LlmJudge

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)


def check(**spec: Any) -> Any:
    return _ADAPTER.validate_python(spec)


@pytest.mark.parametrize(
    ("spec", "output", "passed"),
    [
        ({"type": "equals", "value": "billing"}, " billing\n", True),
        ({"type": "equals", "value": "billing"}, "Billing", False),
        ({"type": "equals", "value": "billing", "ignore_case": True}, "Billing", True),
        ({"type": "contains", "value": "bill"}, "billing", True),
        ({"type": "contains", "value": "Bill"}, "billing", False),
        ({"type": "icontains", "value": "BILL"}, "billing", True),
        ({"type": "not-contains", "value": "sorry"}, "billing", True),
        ({"type": "not-contains", "value": "sorry"}, "sorry, no", False),
        ({"type": "regex", "pattern": r"^\d+$"}, "42", True),
        ({"type": "regex", "pattern": r"^\d+$"}, "forty-two", False),
        ({"type": "is-json"}, '{"a": 1}', True),
        ({"type": "is-json"}, "{a: 1}", False),
        ({"type": "max-chars", "value": 3}, "abc", True),
        ({"type": "max-chars", "value": 3}, "abcd", False),
        ({"type": "one-of", "values": ["a", "b"]}, "b", True),
        ({"type": "one-of", "values": ["a", "b"]}, "c", False),
    ],
)
def test_simple_checks(spec: dict[str, Any], output: str, passed: bool) -> None:
    assert evaluate(check(**spec), output).passed is passed


def test_json_schema_names_the_failing_path() -> None:
    spec = {"type": "object", "properties": {"ok": {"const": True}}, "required": ["ok"]}
    verdict = evaluate(check(type="json-schema", schema=spec), '{"ok": false}')
    assert not verdict.passed
    assert verdict.reason.startswith("ok:")


def test_json_schema_passes_a_valid_document() -> None:
    spec = {"type": "object", "required": ["ok"]}
    assert evaluate(check(type="json-schema", schema=spec), '{"ok": 1}').passed


def test_failure_reason_quotes_the_output() -> None:
    verdict = evaluate(check(type="equals", value="billing"), "logistics")
    assert verdict == CheckVerdict(
        "equals:billing", False, None, "got 'logistics', expected 'billing'"
    )


@pytest.fixture
def checks_module(tmp_path: Path) -> Path:
    (tmp_path / "evalchecks_tmp.py").write_text(
        "def polite(output, context):\n    return 'please' in output\n"
        "def score(output, context):\n    return len(output) / 10\n"
        "def detail(output, context):\n"
        "    return {'pass': False, 'score': 0.2, 'reason': 'too terse'}\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("function", "output", "passed", "score"),
    [
        ("polite", "yes please", True, None),
        ("score", "abcdefgh", True, 0.8),
        ("score", "abc", False, 0.3),
        ("detail", "x", False, 0.2),
    ],
)
def test_python_check_return_shapes(
    checks_module: Path, function: str, output: str, passed: bool, score: float | None
) -> None:
    c = check(type="python", function=f"evalchecks_tmp:{function}")
    verdict = evaluate(c, output, {"suite_dir": checks_module})
    assert (verdict.passed, verdict.score) == (passed, score)


def test_python_check_with_a_missing_module_is_bad_input() -> None:
    with pytest.raises(InputError, match="cannot import"):
        evaluate(check(type="python", function="no_such_module_x:f"), "out")


def test_llm_judge_uses_the_judge() -> None:
    seen: list[str] = []

    async def judge(c: LlmJudge, output: str, messages: Any) -> CheckVerdict:
        seen.append(c.rubric)
        return CheckVerdict("llm-judge", output == "good")

    checks = [check(type="llm-judge", rubric="is it good?")]
    verdicts = anyio.run(lambda: run_checks(checks, "good", [], judge=judge))
    assert (seen, verdicts[0].passed) == (["is it good?"], True)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"pass": true, "score": 1, "reason": "ok"}', True),
        ('Sure. {"pass": false, "reason": "wrong label"}', False),
        ("PASS: fine", True),
        ("FAIL because", False),
        ("**Failed.** The label is wrong", False),
    ],
)
def test_judge_replies_are_parsed(reply: str, expected: bool) -> None:
    value = parse_judgement(reply)
    assert isinstance(value, dict) and value["pass"] is expected


def test_unreadable_judge_reply_is_none() -> None:
    assert parse_judgement("Lorem ipsum dolor") is None


def test_a_reply_that_merely_starts_with_pass_letters_is_unreadable() -> None:
    assert parse_judgement("Passable? No. FAIL") is None


@pytest.mark.parametrize("verdict", ["no", 0, 1, None, [True]])
def test_a_pass_field_that_is_not_a_boolean_true_fails(verdict: Any) -> None:
    judge = check(type="llm-judge", rubric="r")
    result = verdict_from_value(judge, {"pass": verdict, "score": 0.9}, 0.5)
    assert not result.passed and "'pass' is" in result.reason


def test_a_pass_field_spelled_as_a_string_is_read() -> None:
    judge = check(type="llm-judge", rubric="r")
    assert verdict_from_value(judge, {"pass": "TRUE"}, 0.5).passed
    assert not verdict_from_value(judge, {"pass": "False", "score": 1}, 0.5).passed
