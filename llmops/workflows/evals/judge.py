"""The ``llm-judge`` check: a judge model grades an output against a rubric, through the engine.

The judge is asked for JSON ``{"pass": bool, "score": 0..1, "reason": str}``; a reply that
starts with PASS or FAIL is accepted too. Anything else fails the check with the reply quoted,
so a confused judge is visible rather than silently lenient.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from llmops.content import last_user_text
from llmops.engine.engine import Engine
from llmops.errors import LlmopsError
from llmops.workflows.evals.checks import Judge, verdict_from_value
from llmops.workflows.evals.records import CheckVerdict
from llmops.workflows.evals.suite import LlmJudge

JUDGE_PROMPT = """You grade an AI assistant's answer against a rubric.
RUBRIC: {rubric}
QUESTION: {question}
ANSWER: {answer}
Reply with JSON only: {{"pass": true or false, "score": a number from 0 to 1, "reason": "why"}}"""

_OBJECT = re.compile(r"\{.*\}", re.S)
_VERDICT_WORD = re.compile(r"\W*(PASS|FAIL)(?:ED)?\b", re.I)


def judge_messages(
    rubric: str, output: str, messages: Sequence[Mapping[str, str]]
) -> list[dict[str, str]]:
    """The one user message sent to the judge."""
    question = last_user_text(messages)
    prompt = JUDGE_PROMPT.format(rubric=rubric, question=question, answer=output)
    return [{"role": "user", "content": prompt}]


def parse_judgement(text: str) -> Any:
    """The judge's reply as a bool or a ``{pass, score, reason}`` mapping (None if unreadable)."""
    match = _OBJECT.search(text)
    if match:
        try:
            value = json.loads(match.group(0))
        except ValueError:
            value = None
        if isinstance(value, dict) and ("pass" in value or "score" in value):
            return value
    head = _VERDICT_WORD.match(text)
    if head:
        return {"pass": head.group(1).upper() == "PASS", "reason": text.strip()}
    return None


def engine_judge(engine: Engine, *, feature: str | None = None, max_tokens: int = 64) -> Judge:
    """A judge that asks the model behind ``feature`` (or the engine's only provider)."""

    async def judge(
        check: LlmJudge, output: str, messages: Sequence[Mapping[str, str]]
    ) -> CheckVerdict:
        try:
            result = await engine.call(
                judge_messages(check.rubric, output, messages),
                feature=feature,
                max_tokens=max_tokens,
            )
        except LlmopsError as exc:
            return CheckVerdict("llm-judge", False, None, f"judge call failed: {exc}")
        if not result.ok or result.text is None:
            return CheckVerdict("llm-judge", False, None, f"judge call {result.outcome}")
        value = parse_judgement(result.text)
        if value is None:
            reply = result.text if len(result.text) < 80 else result.text[:79] + "…"
            return CheckVerdict("llm-judge", False, None, f"unreadable judge reply: {reply!r}")
        return verdict_from_value(check, value, check.threshold)

    return judge
