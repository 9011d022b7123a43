"""The runbook check's results: one :class:`Answer` per feature and question, and the verdict.

Statuses, from best to worst for readiness: ``pass``, ``waived`` (a gap accepted until a date),
``warn`` (answered, with a weakness), ``stale`` (evidence too old), ``inconclusive`` (a drill
whose fault never fired), ``fail``, ``error`` (the check itself could not run).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "warn", "stale", "inconclusive", "waived", "error"]

#: the six questions, by number
QUESTIONS: dict[int, str] = {
    1: "What does the user see if the model API is down?",
    2: "What is the rate limit, and what happens when we hit it?",
    3: "What is p95 latency under expected peak load?",
    4: "How is model version drift detected?",
    5: "Is there a fallback for every AI-dependent path?",
    6: "What is the circuit breaker threshold, and was it tested?",
}

#: short names used in test case ids and tables
SHORT: dict[int, str] = {
    1: "api-down",
    2: "rate-limit",
    3: "p95-at-peak",
    4: "drift-detection",
    5: "fallback",
    6: "circuit-breaker",
}

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_BAD_CONFIG = 2
EXIT_CHECK_FAILED = 3
EXIT_INTERRUPTED = 130

_NOT_READY: frozenset[str] = frozenset({"fail", "stale", "inconclusive"})


@dataclass(slots=True)
class Evidence:
    """What an answer rests on: a drill, a report file, the eval history or the config."""

    kind: Literal["drill", "loadtest", "eval-history", "config", "none"]
    source: str
    age_s: float | None = None
    provenance: str = ""


@dataclass(slots=True)
class Answer:
    """One question answered (or not) for one feature.

    ``message`` says what was found; ``fix`` (when not passing) says in one line what to change
    or which command produces the evidence; ``numbers`` is the one line of figures.
    """

    question: int
    status: Status
    message: str
    fix: str = ""
    numbers: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    waiver: str | None = None

    @property
    def title(self) -> str:
        return QUESTIONS[self.question]


@dataclass(slots=True)
class FeatureReport:
    """The answers of one feature, in question order."""

    name: str
    owner: str | None
    answers: list[Answer] = field(default_factory=list)


@dataclass(slots=True)
class RunbookResult:
    """The whole check: per feature, the answers; plus waivers that matched nothing."""

    config_path: str
    checked_at: float
    features: list[FeatureReport]
    fail_on: Literal["fail", "warn"] = "fail"
    drills: bool = True
    waivers_applied: bool = True
    unused_waivers: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    #: ``interrupted after k of n answers`` when Ctrl-C stopped the check (then partial)
    interrupted: str | None = None

    def answers(self) -> list[tuple[str, Answer]]:
        """Every (feature, answer) pair, in order."""
        return [(f.name, a) for f in self.features for a in f.answers]

    def counts(self) -> dict[str, int]:
        """How many answers have each status."""
        return dict(Counter(a.status for _, a in self.answers()))

    @property
    def exit_code(self) -> int:
        """0 ready, 1 not ready, 3 when a check could not run, 130 when interrupted."""
        if self.interrupted is not None:
            return EXIT_INTERRUPTED
        statuses = {a.status for _, a in self.answers()}
        if "error" in statuses:
            return EXIT_CHECK_FAILED
        bad = _NOT_READY | ({"warn"} if self.fail_on == "warn" else frozenset())
        return EXIT_NOT_READY if statuses & bad else EXIT_READY

    @property
    def ready(self) -> bool:
        return self.exit_code == EXIT_READY
