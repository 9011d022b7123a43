"""Checks on one output: each returns a :class:`~llmops.workflows.evals.records.CheckVerdict`.

All checks but ``llm-judge`` are plain functions of the output; ``llm-judge`` asks a judge
(any ``async (check, output, messages) -> CheckVerdict`` callable, see
:mod:`llmops.workflows.evals.judge`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from llmops.errors import InputError
from llmops.workflows.evals.records import CheckVerdict
from llmops.workflows.evals.suite import (
    Check,
    Contains,
    Equals,
    IsJson,
    JsonSchema,
    LlmJudge,
    MaxChars,
    NotContains,
    OneOf,
    PythonCheck,
    Regex,
    load_function,
)

Judge = Callable[[LlmJudge, str, Sequence[Mapping[str, str]]], Awaitable[CheckVerdict]]


def check_name(check: Check) -> str:
    """A short label for reports: ``equals:billing``, ``regex:/^\\d+$/``, ``llm-judge``."""
    if isinstance(check, (Equals, Contains, NotContains)):
        return f"{check.type}:{check.value}"
    if isinstance(check, Regex):
        return f"regex:/{check.pattern}/"
    if isinstance(check, MaxChars):
        return f"max-chars:{check.value}"
    if isinstance(check, OneOf):
        return f"one-of:{'|'.join(check.values)}"
    if isinstance(check, PythonCheck):
        return f"python:{check.function}"
    return check.type


def _verdict(
    check: Check, passed: bool, reason: str = "", score: float | None = None
) -> CheckVerdict:
    return CheckVerdict(check_name(check), passed, score, "" if passed else reason)


def _short(text: str, n: int = 60) -> str:
    return repr(text if len(text) <= n else text[: n - 1] + "…")


def evaluate(check: Check, output: str, context: Mapping[str, Any] | None = None) -> CheckVerdict:
    """Run one non-judge check on ``output``. ``context`` is passed to python checks."""
    text = output.strip()
    if isinstance(check, Equals):
        same = text.lower() == check.value.lower() if check.ignore_case else text == check.value
        return _verdict(check, same, f"got {_short(text)}, expected {check.value!r}")
    if isinstance(check, Contains):
        hay, needle = (
            (output.lower(), check.value.lower())
            if check.type == "icontains"
            else (output, check.value)
        )
        return _verdict(check, needle in hay, f"{check.value!r} not found in {_short(output)}")
    if isinstance(check, NotContains):
        return _verdict(check, check.value not in output, f"{check.value!r} found in the output")
    if isinstance(check, Regex):
        found = re.search(check.pattern, output) is not None
        return _verdict(check, found, f"{_short(output)} does not match /{check.pattern}/")
    if isinstance(check, (IsJson, JsonSchema)):
        return _json_check(check, output)
    if isinstance(check, MaxChars):
        n = len(output)
        return _verdict(check, n <= check.value, f"{n} characters, more than {check.value}")
    if isinstance(check, OneOf):
        options = [v.lower() for v in check.values] if check.ignore_case else check.values
        got = text.lower() if check.ignore_case else text
        return _verdict(
            check, got in options, f"got {_short(text)}, expected one of {check.values}"
        )
    if isinstance(check, PythonCheck):
        return _python_check(check, output, context or {})
    raise InputError(f"check {check.type!r} needs a judge; use run_checks")


def _json_check(check: IsJson | JsonSchema, output: str) -> CheckVerdict:
    try:
        value = json.loads(output)
    except json.JSONDecodeError as exc:
        return _verdict(check, False, f"not JSON ({exc.msg} at {exc.pos})")
    if isinstance(check, IsJson):
        return _verdict(check, True)
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.validators.validator_for(check.json_schema)(check.json_schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
        return _verdict(check, False, f"{where}: {errors[0].message}")
    return _verdict(check, True)


def _python_check(check: PythonCheck, output: str, context: Mapping[str, Any]) -> CheckVerdict:
    func = load_function(check.function, context.get("suite_dir"))
    try:
        result = func(output, dict(context))
    except Exception as exc:
        return _verdict(check, False, f"raised {type(exc).__name__}: {exc}")
    return verdict_from_value(check, result, check.threshold)


def verdict_from_value(check: Check, result: Any, threshold: float) -> CheckVerdict:
    """A python check's (or a judge's) return value: bool, score, or {pass, score, reason}."""
    if isinstance(result, bool):
        return _verdict(check, result, "returned False")
    if isinstance(result, (int, float)):
        score = float(result)
        return _verdict(check, score >= threshold, f"score {score:g} < {threshold:g}", score)
    if isinstance(result, Mapping):
        raw = result.get("score")
        score_f = float(raw) if isinstance(raw, (int, float)) else None
        verdict = result.get("pass")
        if isinstance(verdict, str) and verdict.strip().lower() in ("true", "false"):
            verdict = verdict.strip().lower() == "true"
        if "pass" in result and not isinstance(verdict, bool):
            # "no", 1 or null is not a verdict: an unclear verdict fails, it never passes
            return _verdict(check, False, f"'pass' is {verdict!r}, expected true or false")
        passed = (
            verdict if isinstance(verdict, bool) else score_f is not None and score_f >= threshold
        )
        reason = str(result.get("reason", "") or ("failed" if not passed else ""))
        return _verdict(check, passed, reason, score_f)
    return _verdict(check, False, f"returned {type(result).__name__}, expected bool/score/dict")


async def run_checks(
    checks: Sequence[Check],
    output: str,
    messages: Sequence[Mapping[str, str]],
    *,
    judge: Judge | None = None,
    context: Mapping[str, Any] | None = None,
) -> list[CheckVerdict]:
    """Every check's verdict on ``output``, in order (judge checks are awaited one by one)."""
    verdicts: list[CheckVerdict] = []
    for check in checks:
        if isinstance(check, LlmJudge):
            if judge is None:
                verdicts.append(CheckVerdict("llm-judge", False, None, "no judge configured"))
                continue
            verdicts.append(await judge(check, output, messages))
        else:
            verdicts.append(evaluate(check, output, context))
    return verdicts
