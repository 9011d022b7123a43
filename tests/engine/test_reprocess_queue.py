"""The reprocess queue commits from a worker thread: every item is there after close."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio
import pytest

from llmops.stores.reprocess import SqliteReprocessQueue

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_every_concurrent_enqueue_is_committed_and_readable_after_close(
    tmp_path: Path,
) -> None:
    db = tmp_path / "q" / "queue.sqlite3"
    queue = SqliteReprocessQueue(db)
    ids: dict[int, int] = {}

    async def put(i: int) -> None:
        msgs = [{"role": "user", "content": f"message {i}"}]
        ids[i] = await queue.aenqueue("f", msgs, "server_error", enqueued_at=1000.0 + i)

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(put, i)
    queue.close()

    reopened = SqliteReprocessQueue(db)
    pending = reopened.pending(limit=100)
    reopened.close()
    assert len(set(ids.values())) == 40
    by_id = {p.id: p for p in pending}
    assert sorted(by_id) == sorted(ids.values())
    for i, queued_id in ids.items():
        item = by_id[queued_id]
        assert item.messages == [{"role": "user", "content": f"message {i}"}]
        assert (item.feature, item.error_type, item.enqueued_at) == (
            "f",
            "server_error",
            1000.0 + i,
        )


async def test_the_write_runs_in_a_worker_thread(tmp_path: Path) -> None:
    queue = SqliteReprocessQueue(tmp_path / "queue.sqlite3")
    threads: list[int] = []
    enqueue = queue.enqueue

    def recording(
        feature: str,
        messages: Sequence[Mapping[str, str]],
        error_type: str,
        *,
        enqueued_at: float | None = None,
    ) -> int:
        threads.append(threading.get_ident())
        return enqueue(feature, messages, error_type, enqueued_at=enqueued_at)

    queue.enqueue = recording  # type: ignore[method-assign]
    queued = await queue.aenqueue("f", [{"role": "user", "content": "hi"}], "overloaded")
    assert threads and threads[0] != threading.get_ident()
    assert [p.id for p in queue.pending()] == [queued]
    queue.close()


async def test_the_time_recorded_defaults_to_now(tmp_path: Path) -> None:
    import time

    queue = SqliteReprocessQueue(tmp_path / "queue.sqlite3")
    before = time.time()
    await queue.aenqueue("f", [{"role": "user", "content": "hi"}], "overloaded")
    after = time.time()
    [item] = queue.pending()
    queue.close()
    assert before <= item.enqueued_at <= after
