"""Draining the reprocess queue through the engine after an outage (SQLite, virtual time)."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from trio.testing import MockClock

from llmops import Engine
from llmops.engine.clock import AnyioClock
from llmops.engine.drain import Drained, QueueDrain
from tests.engine.conftest import Upstream, error_response, make_config, ok_body

pytestmark = pytest.mark.anyio

BREAKER = {"enabled": True, "minimum_calls": 2, "failure_rate_threshold": 0.5, "open_s": 30}


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class Api:
    """An upstream that is down while ``down`` is set, else answers 'answer to <question>'."""

    def __init__(self) -> None:
        self.down = True

        async def handler(request: httpx.Request) -> httpx.Response:
            if self.down:
                return error_response(503, "overloaded")
            question = self.up.requests[-1]["messages"][-1]["content"]
            return httpx.Response(200, json=ok_body(f"answer to {question}"))

        self.up = Upstream(handler)


def queue_config(path: Path, **fallback: Any) -> Any:
    return make_config(
        retry={"max_attempts": 1},
        breaker={"enabled": False},
        features={"f": {"fallback": {"strategy": "queue", "path": str(path), **fallback}}},
    )


def ask(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"q{i}"}]


async def test_after_an_outage_the_drain_answers_every_item_in_order(tmp_path: Path) -> None:
    api = Api()
    async with Engine(
        queue_config(tmp_path / "q.db"),
        transport=api.up.transport(),
        clock=AnyioClock(virtual=True),
    ) as engine:
        queued = [(await engine.call(ask(i), feature="f")).queued_id for i in range(3)]
        api.down = False
        run = QueueDrain(engine, "f")
        got = [(d.item.id, d.item.messages[-1]["content"], d.result.text) async for d in run]
        status = await engine.reprocess_queue("f").status()
    assert got == [(queued[i], f"q{i}", f"answer to q{i}") for i in range(3)]
    assert (run.done, run.failed, run.stopped) == (3, 0, "empty")
    assert (status.waiting, status.leased, status.dead) == (0, 0, 0)


async def test_the_drain_stops_by_itself_when_the_breaker_opens_again(tmp_path: Path) -> None:
    api = Api()
    cfg = queue_config(tmp_path / "q.db")
    cfg = cfg.model_copy(update={"breaker": cfg.breaker.model_copy(update=BREAKER)})
    async with Engine(cfg, transport=api.up.transport(), clock=AnyioClock(virtual=True)) as engine:
        for i in range(5):
            await engine.call(ask(i), feature="f")  # down: queued; the breaker opens
        assert engine.breaker_open("f")
        run = QueueDrain(engine, "f")
        assert [d async for d in run] == [] and run.stopped == "breaker_open"
        await anyio.sleep(31)  # open_s passes; the API is still down: the probe fails
        again = QueueDrain(engine, "f")
        assert [d async for d in again] == []
        assert engine.breaker_open("f")
        queue = engine.reprocess_queue("f")
        status, pending = await queue.status(), await queue.pending()
    assert (again.failed, again.stopped) == (0, "breaker_open")
    # the probe's item went back at once, its attempt not counted: an outage kills nothing
    assert (status.waiting, status.leased, status.dead) == (5, 0, 0)
    assert [p.attempts for p in pending] == [0] * 5


async def test_an_answer_the_consumer_never_took_is_not_acknowledged(tmp_path: Path) -> None:
    api = Api()
    async with Engine(
        queue_config(tmp_path / "q.db"),
        transport=api.up.transport(),
        clock=AnyioClock(virtual=True),
    ) as engine:
        for i in range(2):
            await engine.call(ask(i), feature="f")
        api.down = False
        async for _first in QueueDrain(engine, "f"):
            break  # the consumer stops before taking the next: the first is not acknowledged
        status = await engine.reprocess_queue("f").status()
    assert (status.waiting, status.leased) == (1, 1)


async def test_an_undecodable_item_is_a_dead_letter_and_the_drain_goes_on(tmp_path: Path) -> None:
    api = Api()
    path = tmp_path / "q.db"
    async with Engine(
        queue_config(path), transport=api.up.transport(), clock=AnyioClock(virtual=True)
    ) as engine:
        await engine.call(ask(0), feature="f")
        with sqlite3.connect(path) as db:
            db.execute(
                "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                " VALUES ('f', x'00ff', 'server_error', 0)"
            )
        await engine.call(ask(2), feature="f")
        api.down = False
        got = [d.item.messages[-1]["content"] async for d in QueueDrain(engine, "f")]
        [dead] = await engine.reprocess_queue("f").dead()
    assert got == ["q0", "q2"]
    assert dead.reason.startswith("cannot decode: not JSON")


async def test_auto_drain_hands_answers_to_the_service_at_a_bounded_rate(tmp_path: Path) -> None:
    api = Api()
    cfg = queue_config(tmp_path / "q.db", auto_drain=True, drain_rate=2, check_every="5s")
    cfg = cfg.model_copy(update={"breaker": cfg.breaker.model_copy(update=BREAKER)})
    seen: list[tuple[float, str | None]] = []
    async with Engine(cfg, transport=api.up.transport(), clock=AnyioClock(virtual=True)) as engine:

        async def store(d: Drained) -> None:
            seen.append((engine.clock.now(), d.result.text))

        engine.on_drained("f", store)
        for i in range(4):
            await engine.call(ask(i), feature="f")
        await anyio.sleep(12)  # two checks pass while the breaker is open: nothing drained
        assert seen == [] and engine.breaker_open("f")
        api.down = False
        await anyio.sleep(30)  # the breaker half-opens at 30 s; the next check drains
        status = await engine.reprocess_queue("f").status()
    assert [text for _, text in seen] == [f"answer to q{i}" for i in range(4)]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    assert all(g >= 0.5 - 1e-9 for g in gaps)  # at most drain_rate = 2 items per second
    assert status.waiting == 0


class VirtualWall(AnyioClock):
    """trio's virtual clock, with a wall clock that moves with it (SQLite leases are wall time)."""

    def wall(self) -> float:
        return 1_767_225_600.0 + self.now()


async def test_a_failing_callback_never_stops_the_background_drain(tmp_path: Path) -> None:
    api = Api()
    cfg = queue_config(tmp_path / "q.db", auto_drain=True, check_every="5s", lease="1m")
    handed: list[str | None] = []
    async with Engine(cfg, transport=api.up.transport(), clock=VirtualWall(virtual=True)) as engine:

        def flaky_store(d: Drained) -> None:
            handed.append(d.item.id)
            if len(handed) == 1:
                raise RuntimeError("the service's database hiccuped")

        engine.on_drained("f", flaky_store)
        first = (await engine.call(ask(0), feature="f")).queued_id
        second = (await engine.call(ask(1), feature="f")).queued_id
        api.down = False
        await anyio.sleep(120)  # the first item's lease (1 min) runs out; it is handed again
        status = await engine.reprocess_queue("f").status()
    assert handed == [first, second, first]
    assert (status.waiting, status.leased, status.dead) == (0, 0, 0)


class BusyEngine:
    """An engine whose own queue is full: every call is shed before reaching the API."""

    def __init__(self, queue: Any) -> None:
        self.clock = AnyioClock(virtual=True)
        self.queue = queue

    def reprocess_queue(self, feature: str) -> Any:
        return self.queue

    def breaker_open(self, feature: str) -> bool:
        return False

    async def call(self, messages: Any, *, feature: str | None = None, degrade: bool = True) -> Any:
        from llmops import CapacityExceeded

        raise CapacityExceeded("overloaded: 1 in flight, 0 queued", retry_after=1.0)


async def test_a_busy_engine_stops_the_drain_without_spending_attempts(tmp_path: Path) -> None:
    from llmops.stores.reprocess_sqlite import SqliteReprocessQueue

    queue = SqliteReprocessQueue(tmp_path / "q.db", "f", max_attempts=1)
    await queue.enqueue(ask(0), "server_error")
    for _ in range(3):  # with max_attempts=1 a counted attempt would have killed it
        run = QueueDrain(BusyEngine(queue), "f")
        assert [d async for d in run] == [] and run.stopped == "overloaded"
    status = await queue.status()
    await queue.aclose()
    assert (status.waiting, status.leased, status.dead) == (1, 0, 0)
