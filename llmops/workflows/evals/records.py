"""The records of eval runs: a run (:class:`EvalRun`), its trials (:class:`CaseRecord`) and each
check's verdict on a trial (:class:`CheckVerdict`).

A leaf module (standard library only): the eval workflow makes these records, the history stores
(:mod:`llmops.stores.history`) keep them, the reporters render them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaseRecord", "CheckVerdict", "EvalRun"]


@dataclass(frozen=True, slots=True)
class CheckVerdict:
    """One check's result on one output: pass/fail, an optional score and the reason."""

    check: str
    passed: bool
    score: float | None = None
    reason: str = ""


@dataclass(slots=True)
class CaseRecord:
    """One trial of one case (``repeat`` is the 0-based repetition)."""

    case_id: str
    repeat: int
    passed: bool
    output: str | None
    checks: list[CheckVerdict] = field(default_factory=list)
    latency_s: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    model_requested: str | None = None
    model_reported: str | None = None
    system_fingerprint: str | None = None
    error: str | None = None


@dataclass(slots=True)
class EvalRun:
    """One run of a suite: what ran, against what, when, and every trial's record.

    ``started_at``/``finished_at`` are Unix seconds; hashes identify the suite's content and
    the target configuration, ``git_commit`` the code (None outside a repository).
    """

    run_id: str
    suite: str
    started_at: float
    finished_at: float
    suite_hash: str
    config_hash: str
    git_commit: str | None
    target: str
    model_requested: str | None
    cases: list[CaseRecord] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> int:
        """Trials that passed."""
        return sum(1 for c in self.cases if c.passed)

    @property
    def total(self) -> int:
        """Trials run."""
        return len(self.cases)

    @property
    def answered(self) -> int:
        """Trials the model answered (a failed call or a fallback's answer records an error)."""
        return sum(1 for c in self.cases if c.error is None)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def model_reported(self) -> str | None:
        """The model most responses reported (None when no response arrived)."""
        counts = Counter(c.model_reported for c in self.cases if c.model_reported)
        return counts.most_common(1)[0][0] if counts else None
