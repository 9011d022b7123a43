"""``llmops runbook``: the six runbook questions per feature, checked by evidence and drills."""

from __future__ import annotations

from llmops.workflows.runbook.model import (
    QUESTIONS,
    Answer,
    Evidence,
    FeatureReport,
    RunbookResult,
    Status,
)
from llmops.workflows.runbook.runbook import check_runbook, parse_questions

__all__ = [
    "QUESTIONS",
    "Answer",
    "Evidence",
    "FeatureReport",
    "RunbookResult",
    "Status",
    "check_runbook",
    "parse_questions",
]
