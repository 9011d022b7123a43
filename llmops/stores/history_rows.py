"""How the history backends lay an :class:`~llmops.workflows.evals.records.EvalRun` out in rows.

Shared by :mod:`~llmops.stores.history_sqlite` and :mod:`~llmops.stores.history_postgres`: the
column order of the runs and cases tables, a record to a row and back, check verdicts as JSON.
"""

from __future__ import annotations

from typing import Any

import orjson

from llmops.workflows.evals.records import CaseRecord, CheckVerdict, EvalRun

__all__ = [
    "CASE_COLUMNS",
    "RUN_COLUMNS",
    "case_from_row",
    "case_rows",
    "checks_from_json",
    "checks_to_json",
    "run_from_row",
    "run_row",
]


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
