"""The reprocess queue contract, the same on SQLite and on the real Redis (streams)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from llmops.stores.reprocess import ReprocessQueue
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from tests.queue.helpers import redis_prefix, until_a_lease_ends

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "summarise this"}]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis.asyncio runs on asyncio only


class Wall:
    """A wall clock the test moves (SQLite leases are wall-clock deadlines)."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def wall(self) -> float:
        return self.t


class Backend:
    """A queue under test, with a way to put a raw (undecodable) item in and to end leases."""

    def __init__(
        self,
        queue: ReprocessQueue,
        put_raw: Callable[[bytes], Awaitable[None]],
        expire: Callable[[], Awaitable[None]],
    ) -> None:
        self.queue = queue
        self.put_raw = put_raw
        self.expire = expire

    async def take_after_lease(self, consumer: str) -> list[object]:
        await self.expire()
        return list(await self.queue.take(consumer))


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        wall = Wall()
        path = tmp_path / "q.sqlite3"
        q = SqliteReprocessQueue(path, "f", lease_s=60, max_attempts=3, clock=wall)

        async def put_raw(blob: bytes) -> None:
            await q.status()  # the queue creates its tables when first used
            with sqlite3.connect(path) as db:
                db.execute(
                    "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                    " VALUES ('f', ?, 'x', 0)",
                    (blob,),
                )

        async def expire() -> None:
            wall.t += 61

        yield Backend(q, put_raw, expire)
        await q.aclose()
        return
    from llmops.stores.reprocess_redis import RedisReprocessQueue

    url = request.getfixturevalue("redis_url")
    with redis_prefix(url) as prefix:
        q = RedisReprocessQueue.from_url(url, "f", key_prefix=prefix, lease_s=0.05, max_attempts=3)

        async def put_raw_redis(blob: bytes) -> None:
            await q._redis.xadd(q.stream, {"p": blob})

        async def expire_redis() -> None:
            await until_a_lease_ends(q, q._lease_ms)

        yield Backend(q, put_raw_redis, expire_redis)
        await q.aclose()


async def test_items_are_taken_oldest_first_and_ack_removes_them(backend: Backend) -> None:
    q = backend.queue
    ids = [
        await q.enqueue([{"role": "user", "content": f"m{i}"}], "server_error") for i in range(3)
    ]
    first = await q.take("w1", limit=2)
    assert [c.id for c in first] == ids[:2]
    assert [c.messages[0]["content"] for c in first] == ["m0", "m1"]
    assert all(c.attempts == 1 and c.error_type == "server_error" for c in first)
    for c in first:
        await q.ack(c.id)
    rest = await q.take("w1", limit=5)
    assert [c.id for c in rest] == ids[2:]
    await q.ack(rest[0].id)
    assert await q.take("w1") == []
    status = await q.status()
    assert (status.waiting, status.leased, status.dead) == (0, 0, 0)


async def test_a_leased_item_is_not_taken_twice_until_its_lease_ends(backend: Backend) -> None:
    q = backend.queue
    item = await q.enqueue(MSG, "server_error")
    assert [c.id for c in await q.take("w1")] == [item]
    assert await q.take("w2") == []  # leased to w1
    assert (await q.status()).leased == 1
    again = await backend.take_after_lease("w2")  # w1 never acknowledged: taken again
    assert [(c.id, c.attempts) for c in again] == [(item, 2)]  # type: ignore[attr-defined]


async def test_a_failed_item_waits_out_its_lease_then_attempts_run_out(backend: Backend) -> None:
    q = backend.queue  # max_attempts = 3
    item = await q.enqueue(MSG, "server_error")
    [call] = await q.take("w1")
    for attempt in (1, 2, 3):
        assert (call.id, call.attempts) == (item, attempt)
        await q.retry_later(call.id, f"overloaded #{attempt}")
        assert await q.take("w1") == []  # not before its lease ends
        again = await backend.take_after_lease("w1")
        if attempt < 3:
            [call] = again  # type: ignore[assignment]
    assert again == []
    [dead] = await q.dead()
    assert dead.id == item and dead.attempts == 3
    assert "3 deliveries" in dead.reason and "overloaded #3" in dead.reason
    status = await q.status()
    assert (status.waiting, status.leased, status.dead) == (0, 0, 1)


async def test_a_released_item_is_taken_again_at_once_its_delivery_uncounted(
    backend: Backend,
) -> None:
    q = backend.queue
    ids = [await q.enqueue(MSG, "server_error") for _ in range(2)]
    [call] = await q.take("w1")
    await q.release(call)
    again = await q.take("w2", limit=2)
    assert [(c.id, c.attempts) for c in again] == [(ids[0], 1), (ids[1], 1)]  # first is first


async def test_an_undecodable_item_goes_to_the_dead_letters_and_the_take_goes_on(
    backend: Backend,
) -> None:
    q = backend.queue
    await backend.put_raw(b"\xff not json")
    await backend.put_raw(b'{"messages": [{"role": 1}]}')
    good = await q.enqueue(MSG, "server_error")
    taken = await q.take("w1")
    assert [c.id for c in taken] == [good]
    reasons = [d.reason for d in await q.dead()]
    assert len(reasons) == 2 and all(r.startswith("cannot decode") for r in reasons)
    assert "not JSON" in reasons[0] and "messages[0]" in reasons[1]


async def test_pending_reads_without_taking(backend: Backend) -> None:
    q = backend.queue
    item = await q.enqueue(MSG, "server_error")
    assert [(c.id, c.feature, c.messages) for c in await q.pending()] == [(item, "f", MSG)]
    assert [c.id for c in await q.take("w1")] == [item]  # still there to take


async def test_the_first_sqlite_layout_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE reprocess_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " feature TEXT NOT NULL, messages BLOB NOT NULL, error_type TEXT NOT NULL,"
            " enqueued_at REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
            " VALUES ('f', ?, 'server_error', 5)",
            (b'[{"role": "user", "content": "old"}]',),
        )
    q = SqliteReprocessQueue(path, "f")
    [call] = await q.take("w1")
    await q.aclose()
    assert call.messages == [{"role": "user", "content": "old"}] and call.attempts == 1
