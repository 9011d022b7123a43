"""A check changes nothing the service shares: the queue file, the eval history and the fleet's
Redis state stay exactly as they were (drills build engines with state of their own)."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from llmops.stores.reprocess import SqliteReprocessQueue
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
    queue = SqliteReprocessQueue(queue_path)
    queue.enqueue("summarize", [{"role": "user", "content": "from production"}], "server_error")
    queue.close()
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


def redis_snapshot(client: Any, prefix: str) -> dict[bytes, tuple[bytes, int]]:
    """Every key under ``prefix``: its serialized value and whether it has a TTL."""
    return {
        key: (client.dump(key), client.ttl(key) > 0)
        for key in sorted(client.scan_iter(match=f"{prefix}*", count=1000))
    }


@pytest.mark.services
def test_a_check_with_state_redis_leaves_the_fleets_redis_keys_as_they_were(
    config: dict[str, Any], redis_url: str
) -> None:
    redis = pytest.importorskip("redis")
    prefix = f"llmops-runbook-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    try:
        # what a running fleet would have there: limiter counters, breaker state, a queue stream
        client.hset(f"{prefix}:{{limiter}}:openai", mapping={"tokens": 12.5, "ts": 1.0})
        client.set(f"{prefix}:{{breaker}}:openai", b"closed", ex=3600)
        client.xadd(f"{prefix}:{{queue}}:summarize", {"messages": b"[]"})
        before = redis_snapshot(client, prefix)
        config["state"] = {"backend": "redis", "url": redis_url, "key_prefix": prefix,
                           "instances": 3}  # fmt: skip

        result = run_check(config)

        statuses = {a.status for _, a in result.answers()}
        assert statuses == {"pass"}, [a for _, a in result.answers() if a.status != "pass"]
        assert redis_snapshot(client, prefix) == before
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()
