"""A configuration whose six answers all pass, with its evidence, to break one answer at a time."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from llmops.config import LlmopsConfig, config_from_dict
from llmops.stores.history_sqlite import SqliteHistory
from llmops.workflows.evals.records import CaseRecord, EvalRun
from llmops.workflows.runbook import RunbookResult, check_runbook

NOW = 1_800_000_000.0  # a fixed "now" for every check (2027-01-15 08:00 UTC)
DAY = 86_400.0
MODEL = "mock-1"


def base_config(tmp: Path) -> dict[str, Any]:
    """Two features (default and queue fallbacks) that pass every question with the evidence
    :func:`write_loadtest` and :func:`write_history` produce under ``tmp``."""
    return {
        "providers": {
            "main": {"kind": "openai", "base_url": "http://127.0.0.1:8787/v1", "model": MODEL}
        },
        "limits": {"requests_per_minute": 120, "timeout_s": 20},
        "features": {
            "classify": {"fallback": {"strategy": "default", "value": "unknown"}},
            "summarize": {"fallback": {"strategy": "queue", "path": str(tmp / "queue.sqlite3")}},
        },
        "runbook": {
            "evidence": {
                "loadtest": str(tmp / "loadtest.json"),
                "history": str(tmp / "history.sqlite3"),
            },
            "features": {
                name: {
                    "owner": "team",
                    "when_down": "The user sees a notice and the request is handled later.",
                    "peak_concurrency": 8,
                    "p95_budget": "2s",
                    "success_floor": 0.95,
                    "eval_suite": "suite",
                    "eval_every": "24h",
                    "alert_threshold": 0.3,
                }
                for name in ("classify", "summarize")
            },
        },
    }


def loadtest_report(**changes: Any) -> dict[str, Any]:
    """A loadtest report (schema llmops.loadtest 1) that reached 8 clients within budget."""
    started = dt.datetime.fromtimestamp(NOW - 3600, dt.timezone.utc).isoformat(timespec="seconds")
    level = {"concurrency": 8, "load": 8, "requests": 200, "ok": 199, "degraded": 1,
             "latency_ms": {"p50": 400.0, "p95": 900.0, "p99": 1200.0}}  # fmt: skip
    report: dict[str, Any] = {
        "schema": "llmops.loadtest",
        "schema_version": 1,
        "started_at": started,
        "target": "provider main (http://127.0.0.1:8787/v1)",
        "model": MODEL,
        "levels": [{**level, "concurrency": 4, "load": 4}, level],
    }
    report.update(changes)
    return report


def write_loadtest(path: Path, report: dict[str, Any] | None = None) -> None:
    path.write_bytes(orjson.dumps(report or loadtest_report()))


def eval_run(
    i: int, started_at: float, *, failing: int = 0, model: str | None = "mock-1-2026-01"
) -> EvalRun:
    """A run of suite ``suite``: 40 cases, the first ``failing`` of them failed."""
    cases = [
        CaseRecord(f"case-{c}", 0, c >= failing, "ok", model_requested=MODEL, model_reported=model)
        for c in range(40)
    ]
    return EvalRun(
        f"run-{i}", "suite", started_at, started_at + 30, "s", "c", "g", "mock", MODEL, cases
    )


def write_history(path: Path, runs: list[EvalRun] | None = None) -> None:
    store = SqliteHistory(path)
    try:
        for run in (
            runs if runs is not None else [eval_run(i, NOW - (3 - i) * DAY + 600) for i in range(3)]
        ):
            store.append(run)
    finally:
        store.close()


Check = Callable[..., RunbookResult]


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """``tmp_path`` with the passing evidence written."""
    write_loadtest(tmp_path / "loadtest.json")
    write_history(tmp_path / "history.sqlite3")
    return tmp_path


@pytest.fixture
def config(evidence: Path) -> dict[str, Any]:
    """A fresh copy of the passing configuration (a dict to break)."""
    return copy.deepcopy(base_config(evidence))


def run_check(data: dict[str, Any], **kwargs: Any) -> RunbookResult:
    cfg: LlmopsConfig = config_from_dict(data)
    return check_runbook(cfg, config_path="llmops.yaml", now=NOW, **kwargs)


def statuses(result: RunbookResult) -> dict[tuple[str, int], str]:
    return {(name, a.question): a.status for name, a in result.answers()}


def answer(result: RunbookResult, feature: str, question: int) -> Any:
    return next(a for name, a in result.answers() if name == feature and a.question == question)
