"""The reprocess queue commits from a worker thread: every item is there after close."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from llmops.stores.reprocess_sqlite import SqliteReprocessQueue

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Ticking:
    """A wall clock that reads 1000, 1001, 1002, ... (one tick per reading)."""

    def __init__(self) -> None:
        self._t = itertools.count(1000)

    def wall(self) -> float:
        return float(next(self._t))


async def test_every_concurrent_enqueue_is_committed_and_readable_after_close(
    tmp_path: Path,
) -> None:
    db = tmp_path / "q" / "queue.sqlite3"
    queue = SqliteReprocessQueue(db, "f", clock=Ticking())
    ids: dict[int, str] = {}

    async def put(i: int) -> None:
        msgs = [{"role": "user", "content": f"message {i}"}]
        ids[i] = await queue.enqueue(msgs, "server_error")

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(put, i)
    await queue.aclose()

    reopened = SqliteReprocessQueue(db, "f")
    pending = await reopened.pending(limit=100)
    await reopened.aclose()
    assert len(set(ids.values())) == 40
    by_id = {p.id: p for p in pending}
    assert sorted(by_id) == sorted(ids.values())
    for i, queued_id in ids.items():
        item = by_id[queued_id]
        assert item.messages == [{"role": "user", "content": f"message {i}"}]
        assert (item.feature, item.error_type) == ("f", "server_error")
    assert sorted(p.enqueued_at for p in pending) == [1000.0 + i for i in range(40)]


async def test_the_write_runs_in_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = SqliteReprocessQueue(tmp_path / "queue.sqlite3", "f")
    threads: list[int] = []
    locked = queue._locked

    def recording(fn: Callable[[], Any]) -> Any:
        threads.append(threading.get_ident())
        return locked(fn)

    monkeypatch.setattr(queue, "_locked", recording)
    queued = await queue.enqueue([{"role": "user", "content": "hi"}], "overloaded")
    assert threads and threads[0] != threading.get_ident()
    assert [p.id for p in await queue.pending()] == [queued]
    await queue.aclose()


async def test_the_time_recorded_defaults_to_now(tmp_path: Path) -> None:
    import time

    queue = SqliteReprocessQueue(tmp_path / "queue.sqlite3", "f")
    before = time.time()
    await queue.enqueue([{"role": "user", "content": "hi"}], "overloaded")
    after = time.time()
    [item] = await queue.pending()
    await queue.aclose()
    assert before <= item.enqueued_at <= after
