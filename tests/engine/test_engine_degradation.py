"""Breaker, shedding and every fallback strategy."""

from __future__ import annotations

import functools
from pathlib import Path

import anyio
import httpx
import pytest

from llmops import (
    BreakerTransition,
    CapacityExceeded,
    CircuitOpen,
    Engine,
    EventRecorder,
    FeatureUnavailable,
    ServerError,
)
from llmops.stores.limits import LocalLimiter
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from tests.engine.conftest import Upstream, error_response, make_config, ok_body

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "summarise this"}]
BREAKER = {
    "enabled": True,
    "failure_rate_threshold": 0.5,
    "minimum_calls": 4,
    "window_s": 60,
    "open_s": 10,
    "half_open_probes": 1,
}


def failing_until(n: int) -> Upstream:
    async def handler(request: httpx.Request) -> httpx.Response:
        if len(up.requests) <= n:
            return error_response(500, "server_error")
        return httpx.Response(200, json=ok_body("fine"))

    up = Upstream(handler)
    return up


async def test_breaker_opens_refuses_then_recovers_through_a_probe() -> None:
    up = failing_until(4)
    recorder = EventRecorder()
    cfg = make_config(breaker=BREAKER, retry={"max_attempts": 1})
    async with Engine(cfg, transport=up.transport(), observers=[recorder]) as engine:
        for _ in range(4):
            with pytest.raises(FeatureUnavailable):
                await engine.call(MSG)
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG)
        assert isinstance(info.value.cause, CircuitOpen)
        assert len(up.requests) == 4  # refused without an upstream attempt
        await anyio.sleep(10)
        result = await engine.call(MSG)  # the half-open probe
        assert result.ok
    states = [(e.old, e.new) for e in recorder.events if isinstance(e, BreakerTransition)]
    assert states == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


async def test_manual_open_and_close_for_drills() -> None:
    up = failing_until(0)
    cfg = make_config(breaker=BREAKER)
    async with Engine(cfg, transport=up.transport()) as engine:
        engine.open_circuit()
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG)
        assert isinstance(info.value.cause, CircuitOpen)
        engine.close_circuit()
        assert (await engine.call(MSG)).ok
    assert len(up.requests) == 1


async def test_full_queue_sheds_at_once_with_a_retry_hint() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    cfg = make_config(limits={"max_concurrency": 2, "queue_limit": 1})
    outcomes: list[str] = []
    shed: list[CapacityExceeded] = []
    async with Engine(cfg, transport=up.transport()) as engine:

        async def one() -> None:
            try:
                outcomes.append((await engine.call(MSG)).outcome)
            except CapacityExceeded as exc:
                shed.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
    assert outcomes == ["ok"] * 3  # two running, one queued
    assert len(shed) == 2
    assert all(exc.retry_after is not None and exc.retry_after > 0 for exc in shed)


async def test_default_fallback_answers_with_its_value() -> None:
    up = failing_until(100)
    cfg = make_config(
        retry={"max_attempts": 1},
        features={"f": {"fallback": {"strategy": "default", "value": "try later"}}},
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        result = await engine.call(MSG, feature="f")
    assert result.outcome == "degraded:default"
    assert result.text == "try later"
    assert isinstance(result.error, ServerError)


async def test_cached_fallback_serves_the_last_good_answer_for_the_same_input() -> None:
    up = failing_until(0)
    cfg = make_config(
        retry={"max_attempts": 1}, features={"f": {"fallback": {"strategy": "cached"}}}
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        first = await engine.call(MSG, feature="f")
        up.handler = failing_until(10**6).handler
        again = await engine.call([{"role": "user", "content": "summarise   this "}], feature="f")
        with pytest.raises(ServerError):  # nothing cached for another input: the error surfaces
            await engine.call([{"role": "user", "content": "other"}], feature="f")
    assert first.outcome == "ok"
    assert again.outcome == "degraded:cached"
    assert again.text == "fine"


async def test_queue_fallback_persists_the_call_for_reprocessing(tmp_path: Path) -> None:
    up = failing_until(100)
    db = tmp_path / "queue.sqlite3"
    cfg = make_config(
        retry={"max_attempts": 1},
        features={"f": {"fallback": {"strategy": "queue", "path": str(db)}}},
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        result = await engine.call(MSG, feature="f")
    assert result.outcome == "degraded:queue"
    reopened = SqliteReprocessQueue(db, "f")  # survives the engine: durable
    pending = await reopened.pending()
    await reopened.aclose()
    assert [(p.id, p.feature, p.error_type) for p in pending] == [
        (result.queued_id, "f", "server_error")
    ]
    assert pending[0].messages == [{"role": "user", "content": "summarise this"}]


async def test_error_fallback_raises_its_message_with_the_cause() -> None:
    up = failing_until(100)
    cfg = make_config(
        retry={"max_attempts": 1},
        features={"f": {"fallback": {"strategy": "error", "message": "summaries are down"}}},
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        with pytest.raises(FeatureUnavailable, match="summaries are down") as info:
            await engine.call(MSG, feature="f")
    assert isinstance(info.value.cause, ServerError)


async def test_cancelled_call_leaves_no_slot_taken_and_no_reservation() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(100)
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    cfg = make_config(limits={"max_concurrency": 1, "tokens_per_minute": 10_000})
    async with Engine(cfg, transport=up.transport()) as engine:
        local = engine.upstream().limiter
        assert isinstance(local, LocalLimiter)
        limiter = local.core
        assert limiter.tokens is not None
        before = limiter.tokens.available(anyio.current_time())
        with anyio.move_on_after(1):
            await engine.call(MSG)
        assert engine.gate.in_flight == 0 and engine.gate.waiting == 0
        assert limiter.tokens.available(anyio.current_time()) >= before


async def test_a_call_cancelled_from_outside_ends_as_cancelled_not_degraded() -> None:
    entered = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        entered.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    recorder = EventRecorder()
    cfg = make_config(
        limits={"timeout_s": 3600},
        features={"f": {"fallback": {"strategy": "default", "value": "FALLBACK"}}},
    )
    engine = Engine(cfg, transport=Upstream(handler).transport(), observers=[recorder])
    async with engine, anyio.create_task_group() as group:
        group.start_soon(functools.partial(engine.call, MSG, feature="f"))
        await entered.wait()
        group.cancel_scope.cancel()  # the caller leaves while the attempt is in flight
    done = recorder.of_kind("call_finished")
    assert [(d.outcome, d.error_type) for d in done] == [("cancelled", None)]
