"""The engine reads time only through its clock: deadlines, backoff and timestamps follow it.

These run on real event loops with a :class:`VirtualClock` injected: had the engine read the
loop's clock anywhere, the deadlines below would not fire when the test moves the time.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import orjson
import pytest

from llmops import DeadlineExceeded, Engine, EventRecorder, FeatureUnavailable
from llmops.engine.clock import VirtualClock
from llmops.engine.result import CallResult
from llmops.stores.reprocess import SqliteReprocessQueue
from tests.engine.conftest import Upstream, error_response, make_config, ok_body, settle

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "hi"}]
T0 = 1_767_225_600.0


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_an_attempt_times_out_on_the_engines_clock() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await anyio.Event().wait()
        raise AssertionError("unreachable")

    clock = VirtualClock()
    cfg = make_config(retry={"max_attempts": 1}, limits={"attempt_timeout_s": 10.0})
    outcome: list[BaseException] = []

    async def call(engine: Engine) -> None:
        try:
            await engine.call(MSG)
        except FeatureUnavailable as exc:
            outcome.append(exc)

    engine = Engine(cfg, transport=Upstream(hang).transport(), clock=clock)
    async with engine, anyio.create_task_group() as tg:
        tg.start_soon(call, engine)
        await clock.until_waiting(1)  # the attempt's deadline
        await clock.advance(9.5)
        early = await settle(lambda: bool(outcome))
        await clock.advance(0.5)
        await settle(lambda: bool(outcome))
        tg.cancel_scope.cancel()
    assert not early
    assert len(outcome) == 1 and isinstance(outcome[0], FeatureUnavailable)
    assert isinstance(outcome[0].cause, DeadlineExceeded)
    assert "timed out after 10s" in str(outcome[0].cause)


async def test_a_retry_waits_its_backoff_on_the_engines_clock() -> None:
    async def flaky(request: httpx.Request) -> httpx.Response:
        if len(up.requests) == 1:
            return error_response(503, "overloaded", **{"retry-after": "7"})
        return httpx.Response(200, json=ok_body("second time"))

    up = Upstream(flaky)
    clock = VirtualClock()
    results: list[CallResult] = []

    async def call(engine: Engine) -> None:
        results.append(await engine.call(MSG))

    cfg = make_config(retry={"max_attempts": 2, "backoff_cap_s": 30.0})
    recorder = EventRecorder()
    engine = Engine(cfg, transport=up.transport(), clock=clock, observers=[recorder])
    async with engine, anyio.create_task_group() as tg:
        tg.start_soon(call, engine)
        # the first attempt has failed (and withdrawn its deadline); the backoff sleeps
        assert await settle(lambda: len(recorder.of_kind("model_call")) == 1 and clock.waiting == 1)
        await clock.advance(6.9)
        early = await settle(lambda: len(up.requests) > 1)
        await clock.advance(0.3)  # past the server's 7 s and the jitter on it (at most 0.1 s)
        await settle(lambda: bool(results))
        tg.cancel_scope.cancel()
    assert not early
    assert [r.text for r in results] == ["second time"]
    assert results[0].attempts == 2
    assert 7.0 <= results[0].latency_s <= 7.1


async def test_a_queued_call_is_stamped_with_the_engines_wall_clock(tmp_path: Path) -> None:
    async def down(request: httpx.Request) -> httpx.Response:
        return error_response(500, "server_error")

    db = tmp_path / "queue.sqlite3"
    cfg = make_config(
        retry={"max_attempts": 1},
        features={"f": {"fallback": {"strategy": "queue", "path": str(db)}}},
    )
    clock = VirtualClock(wall_start=T0)
    await clock.advance(42.0)
    async with Engine(cfg, transport=Upstream(down).transport(), clock=clock) as engine:
        result = await engine.call(MSG, feature="f")
    queue = SqliteReprocessQueue(db)
    pending = queue.pending()
    queue.close()
    assert result.outcome == "degraded:queue"
    assert [(p.id, p.enqueued_at) for p in pending] == [(result.queued_id, T0 + 42.0)]


async def test_the_events_log_holds_every_event_once_the_engine_is_closed(
    tmp_path: Path,
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body())

    log = tmp_path / "events.jsonl"
    clock = VirtualClock(wall_start=T0)
    cfg = make_config(events_log=str(log))
    engine = Engine(cfg, transport=Upstream(answer).transport(), clock=clock)
    async with engine, anyio.create_task_group() as tg:
        for i in range(25):
            tg.start_soon(lambda i=i: engine.call(MSG, request_id=f"call-{i}"))
    records = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    finished = sorted(r["llmops.request_id"] for r in records if r["event"] == "call_finished")
    assert finished == sorted(f"call-{i}" for i in range(25))
    assert len(records) == 3 * 25  # input profile, model call, call finished each
    assert {r["time"] for r in records} == {T0}
