"""Bounded resources: an overloaded engine sheds at once without growing, and many calls leave
no per-call structure behind (the breaker window, limiter, retry budget, events and the answer
cache stay bounded by their size, not by the number of calls).

The engine runs on trio's virtual clock over in-process transports. The million-call figures
(RSS, open file descriptors) come from ``benchmarks/engine_soak.py``.
"""

from __future__ import annotations

import gc
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from trio.testing import MockClock

from llmops.config import CachedFallback, config_from_dict
from llmops.engine.engine import Engine
from llmops.engine.transport import HttpRequest, HttpResponse, StreamResponse
from llmops.errors import CapacityExceeded
from llmops.mock import MockTransport

pytestmark = pytest.mark.anyio

MAX_CONCURRENCY = 4
QUEUE_LIMIT = 8


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


def _config(**features: Any) -> Any:
    return config_from_dict(
        {
            "providers": {"m": {"kind": "openai", "base_url": "http://mock/v1", "model": "m"}},
            "limits": {"max_concurrency": MAX_CONCURRENCY, "queue_limit": QUEUE_LIMIT},
            "breaker": {"enabled": True},
            "features": features,
        }
    )


class HeldTransport:
    """Holds every request until ``release`` is set (an upstream that is slow right now)."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.held = 0

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.held += 1
        await self.release.wait()
        body = b'{"choices":[{"index":0,"message":{"content":"ok"}}],"model":"m"}'
        return HttpResponse(200, {"content-type": "application/json"}, body)

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[StreamResponse]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


async def test_ten_times_the_queue_limit_is_shed_at_once_without_growth() -> None:
    transport = HeldTransport()
    engine = Engine(_config(), transport=transport)
    msgs = [{"role": "user", "content": "hi"}]
    async with engine, anyio.create_task_group() as tg:
        for _ in range(MAX_CONCURRENCY + QUEUE_LIMIT):  # every slot busy, the queue full
            tg.start_soon(engine.call, msgs)
        while engine.gate.waiting < QUEUE_LIMIT or transport.held < MAX_CONCURRENCY:
            await anyio.lowlevel.checkpoint()
        before = anyio.current_time()
        shed = []
        for _ in range(10 * QUEUE_LIMIT):
            with pytest.raises(CapacityExceeded) as caught:
                await engine.call(msgs)
            shed.append(caught.value)
        # at once: no (virtual) time passed, nothing more queued or sent, each with a retry hint
        assert anyio.current_time() == before
        assert engine.gate.waiting == QUEUE_LIMIT and engine.gate.in_flight == MAX_CONCURRENCY
        assert transport.held == MAX_CONCURRENCY
        assert all(e.retry_after is not None and e.retry_after > 0 for e in shed)
        transport.release.set()
    assert engine.gate.waiting == 0 and engine.gate.in_flight == 0


def _live_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_many_calls_leave_no_per_call_structures_behind() -> None:
    events = [0]
    engine = Engine(
        _config(cached={"fallback": {"strategy": "cached", "max_entries": 100}}),
        transport=MockTransport("instant"),
        observers=[lambda _e: events.__setitem__(0, events[0] + 1)],
        detect_language=False,
    )

    async def calls(start: int, stop: int) -> None:
        async def one(i: int) -> None:
            # 5x more distinct inputs than the answer cache holds (the mock's own caches hold
            # them all after the warm-up, so only the engine could grow)
            msgs = [{"role": "user", "content": f"question {i % 500}"}]
            await engine.call(msgs, feature="cached", stream=i % 10 == 0)

        batch = MAX_CONCURRENCY + QUEUE_LIMIT  # as many as the engine admits at once
        for base in range(start, stop, batch):
            async with anyio.create_task_group() as tg:
                for i in range(base, min(stop, base + batch)):
                    tg.start_soon(one, i)

    async with engine:
        await calls(0, 2_000)  # warm: caches full, every code path taken
        warm = _live_objects()
        await calls(2_000, 12_000)
        after = _live_objects()
        fallback = engine.config.features["cached"].fallback
        assert isinstance(fallback, CachedFallback)
        cache = engine.stores.answers("cached", fallback)
    assert events[0] >= 12_000 * 3  # events were built and handed out for every call
    assert len(cache._data) == 100  # type: ignore[attr-defined]
    # 10,000 more calls: a structure kept per call would add at least 10,000 objects
    assert after - warm < 1_000, after - warm
