"""A check changes nothing the service shares: the queue file and the eval history stay as they were.

The configuration schema has no ``state: redis`` yet (issue 13), so the engine the drills build
has no Redis to touch; the queue and the history are checked here byte for byte.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import anyio

from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from tests.runbook.conftest import run_check


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


def test_a_check_leaves_the_queue_file_and_the_history_exactly_as_they_were(
    config: dict[str, Any], evidence: Path
) -> None:
    queue_path = evidence / "queue.sqlite3"
    queue = SqliteReprocessQueue(queue_path, "summarize")
    anyio.run(queue.enqueue, [{"role": "user", "content": "from production"}], "server_error")
    anyio.run(queue.aclose)
    for p in evidence.glob("queue.sqlite3-*"):
        p.unlink()
    history = evidence / "history.sqlite3"
    before = {p.name: digest(p) for p in (queue_path, history)}
    queued, runs = rows(queue_path, "reprocess_queue"), rows(history, "eval_runs")
    files = sorted(p.name for p in evidence.iterdir())

    result = run_check(config)

    assert set(a.status for _, a in result.answers()) == {"pass"}  # the queue drill really ran
    assert {p.name: digest(p) for p in (queue_path, history)} == before
    assert rows(queue_path, "reprocess_queue") == queued and rows(history, "eval_runs") == runs
    assert sorted(p.name for p in evidence.iterdir()) == files
