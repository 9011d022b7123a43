"""The runbook check as JSON (``reports/runbook.json``): a versioned schema (``schema_version`` 1).

Top level::

    schema            "llmops.runbook"
    schema_version    1 (bumped on any incompatible change; fields may be added within a version)
    checked_at        ISO 8601, UTC;  config  the configuration file checked
    ready             true when the exit code is 0;  exit_code  0 ready, 1 not ready, 3 error
    fail_on           "fail" | "warn";  drills, waivers_applied  booleans;  wall_s
    counts            {status: n}
    features[]        {name, owner, answers[]}
        answers[]     {question, id, title, status, message, fix, numbers, waiver,
                       evidence: [{kind, source, age_s, provenance}], details}
    unused_waivers    [sentence]

Statuses: pass, fail, warn, stale, inconclusive, waived, error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import orjson

from llmops.workflows.runbook.model import SHORT, Answer, RunbookResult

__all__ = ["SCHEMA", "SCHEMA_VERSION", "render", "to_dict"]

SCHEMA = "llmops.runbook"
SCHEMA_VERSION = 1


def _answer(a: Answer) -> dict[str, Any]:
    return {
        "question": a.question,
        "id": SHORT[a.question],
        "title": a.title,
        "status": a.status,
        "message": a.message,
        "fix": a.fix,
        "numbers": a.numbers,
        "waiver": a.waiver,
        "evidence": [
            {**dataclasses.asdict(e), "age_s": None if e.age_s is None else round(e.age_s, 1)}
            for e in a.evidence
        ],
        "details": a.details,
    }


def to_dict(result: RunbookResult) -> dict[str, Any]:
    """The result as plain JSON-ready data."""
    at = dt.datetime.fromtimestamp(result.checked_at, dt.timezone.utc)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "checked_at": at.isoformat(timespec="seconds"),
        "config": result.config_path,
        "ready": result.ready,
        "exit_code": result.exit_code,
        "interrupted": result.interrupted,
        "fail_on": result.fail_on,
        "drills": result.drills,
        "waivers_applied": result.waivers_applied,
        "wall_s": round(result.wall_s, 2),
        "counts": result.counts(),
        "features": [
            {"name": f.name, "owner": f.owner, "answers": [_answer(a) for a in f.answers]}
            for f in result.features
        ],
        "unused_waivers": result.unused_waivers,
    }


def render(result: RunbookResult) -> str:
    """The JSON report's text (indented, newline-terminated)."""
    return orjson.dumps(to_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
