"""Ctrl-C during ``llmops queue drain`` (a real subprocess): it stops after the item in hand,
exit 130; every answered item is acknowledged (gone from the queue, its answer in --out) and
every other item is still waiting. A consumer killed with SIGKILL is covered by
``tests/queue/test_queue_crash.py``."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from llmops.mock.spawn import spawn_mock_server
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from tests.queue.test_queue_cli import enqueue, write_config

from .sigint_helpers import interrupt_when

pytestmark = pytest.mark.loopback

ITEMS = 30


def _waiting(tmp_path: Path) -> int:
    async def status() -> int:
        q = SqliteReprocessQueue(tmp_path / "q.sqlite3", "summarize")
        try:
            return (await q.status()).waiting
        finally:
            await q.aclose()

    return anyio.run(status)


def test_sigint_mid_drain_stops_after_the_item_in_hand(tmp_path: Path) -> None:
    enqueue(tmp_path, ITEMS)
    out = tmp_path / "answers.jsonl"
    with spawn_mock_server("default") as url:  # ~0.35 s an answer: the drain is under way
        config = write_config(tmp_path, base_url=f"{url}/v1")
        args = ["queue", "drain", "--feature", "summarize", "-c", str(config), "--out", str(out)]
        ended = interrupt_when(args, tmp_path, r": answered \(", on="stdout")
    assert ended.code == 130, ended.stderr
    assert "Traceback" not in ended.stderr
    assert "stopped: interrupted" in ended.stdout
    answered = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert 1 <= len(answered) < ITEMS
    # acknowledged items are gone, every other one still waits: none lost, none twice
    assert _waiting(tmp_path) == ITEMS - len(answered)
