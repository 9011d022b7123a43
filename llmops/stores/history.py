"""Eval history: the records of eval runs, and the store interface they are kept behind.

A run (:class:`EvalRun`) is written whole or not at all (:meth:`HistoryStore.append`) and read
back by suite and time (:meth:`HistoryStore.query`). Two backends share the interface and one
test suite: :class:`~llmops.stores.history_sqlite.SqliteHistory` (a file, the default) and
:class:`~llmops.stores.history_postgres.PostgresHistory` (a URL, for teams whose CI runners are
ephemeral). :func:`open_history` picks one from a path or URL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

DEFAULT_HISTORY = ".llmops/eval-history.sqlite3"


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
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def model_reported(self) -> str | None:
        """The model most responses reported (None when no response arrived)."""
        counts = Counter(c.model_reported for c in self.cases if c.model_reported)
        return counts.most_common(1)[0][0] if counts else None


class HistoryStore(Protocol):
    """Where eval runs are kept. Implementations must make :meth:`append` atomic."""

    def append(self, run: EvalRun) -> None:
        """Store ``run`` with all its cases in one transaction (whole or nothing)."""
        ...

    def query(
        self, suite: str, since: float | None = None, until: float | None = None
    ) -> list[EvalRun]:
        """Runs of ``suite`` started in ``[since, until)``, oldest first."""
        ...

    def suites(self) -> list[str]:
        """Names of the suites with stored runs."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def checks_to_json(checks: list[CheckVerdict]) -> str:
    """Check verdicts as a JSON array (how both backends store them)."""
    return orjson.dumps(
        [
            {"check": v.check, "passed": v.passed, "score": v.score, "reason": v.reason}
            for v in checks
        ]
    ).decode()


def checks_from_json(text: str | bytes | None) -> list[CheckVerdict]:
    """Inverse of :func:`checks_to_json`."""
    if not text:
        return []
    return [
        CheckVerdict(str(d["check"]), bool(d["passed"]), d.get("score"), str(d.get("reason", "")))
        for d in orjson.loads(text)
    ]


RUN_COLUMNS = (
    "run_id",
    "suite",
    "started_at",
    "finished_at",
    "suite_hash",
    "config_hash",
    "git_commit",
    "target",
    "model_requested",
    "meta",
)
CASE_COLUMNS = (
    "run_id",
    "idx",
    "case_id",
    "repeat",
    "passed",
    "output",
    "checks",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "model_requested",
    "model_reported",
    "system_fingerprint",
    "error",
)


def run_row(run: EvalRun) -> tuple[Any, ...]:
    """The run's values in :data:`RUN_COLUMNS` order."""
    return (
        run.run_id,
        run.suite,
        run.started_at,
        run.finished_at,
        run.suite_hash,
        run.config_hash,
        run.git_commit,
        run.target,
        run.model_requested,
        orjson.dumps(run.meta).decode(),
    )


def case_rows(run: EvalRun) -> list[tuple[Any, ...]]:
    """Each trial's values in :data:`CASE_COLUMNS` order."""
    return [
        (
            run.run_id,
            i,
            c.case_id,
            c.repeat,
            c.passed,
            c.output,
            checks_to_json(c.checks),
            c.latency_s,
            c.input_tokens,
            c.output_tokens,
            c.model_requested,
            c.model_reported,
            c.system_fingerprint,
            c.error,
        )
        for i, c in enumerate(run.cases)
    ]


def run_from_row(row: tuple[Any, ...], cases: list[CaseRecord]) -> EvalRun:
    """Rebuild a run from its :data:`RUN_COLUMNS` row and its trials."""
    meta = orjson.loads(row[9]) if row[9] else {}
    return EvalRun(
        run_id=row[0],
        suite=row[1],
        started_at=float(row[2]),
        finished_at=float(row[3]),
        suite_hash=row[4],
        config_hash=row[5],
        git_commit=row[6],
        target=row[7],
        model_requested=row[8],
        cases=cases,
        meta=meta,
    )


def case_from_row(row: tuple[Any, ...]) -> CaseRecord:
    """Rebuild a trial from its :data:`CASE_COLUMNS` row (``run_id`` and ``idx`` dropped)."""
    return CaseRecord(
        case_id=row[2],
        repeat=int(row[3]),
        passed=bool(row[4]),
        output=row[5],
        checks=checks_from_json(row[6]),
        latency_s=float(row[7]),
        input_tokens=row[8],
        output_tokens=row[9],
        model_requested=row[10],
        model_reported=row[11],
        system_fingerprint=row[12],
        error=row[13],
    )


def open_history(location: str | None = None) -> HistoryStore:
    """A store from a SQLite path (default :data:`DEFAULT_HISTORY`) or a ``postgresql://`` URL."""
    location = location or DEFAULT_HISTORY
    if location.startswith(("postgresql://", "postgres://")):
        from llmops.stores.history_postgres import PostgresHistory

        return PostgresHistory(location)
    from llmops.stores.history_sqlite import SqliteHistory

    return SqliteHistory(location)
