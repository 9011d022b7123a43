"""Routes (failover before the fallback), per-provider/per-model limits and feature priority,
on virtual time against the in-process mock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest

from llmops import ConfigError, Engine, EventRecorder, ModelCall, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.engine.events import CallFinished
from llmops.engine.transport import HttpRequest, HttpResponse
from llmops.mock import MockTransport

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "I was charged twice, please refund me"}]


class ByHost:
    """One mock per host name: a failing upstream and a healthy one side by side."""

    def __init__(self, **mocks: MockTransport) -> None:
        self.mocks = mocks

    def _for(self, request: HttpRequest) -> MockTransport:
        return self.mocks[urlsplit(request.url).hostname or ""]

    async def send(self, request: HttpRequest) -> HttpResponse:
        return await self._for(request).send(request)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[Any]:
        async with self._for(request).stream(request) as resp:
            yield resp

    async def aclose(self) -> None:
        pass


def two_providers(**feature: Any) -> Any:
    return config_from_dict(
        {
            "providers": {
                "down": {"kind": "openai", "base_url": "http://down/v1", "model": "mock-1"},
                "up": {"kind": "anthropic", "base_url": "http://up", "model": "mock-2"},
            },
            "retry": {"max_attempts": 2, "budget_min_per_s": 50},
            "breaker": {"minimum_calls": 4, "window_s": 30, "open_s": 60},
            "features": {"f": {"routes": ["down/mock-1", "up/mock-2"], **feature}},
        }
    )


async def test_a_failing_route_fails_over_to_the_next_one_before_the_fallback() -> None:
    clock = AnyioClock()
    down = MockTransport("outage", clock=clock)
    up = MockTransport("instant", clock=clock)
    recorder = EventRecorder()
    cfg = two_providers(fallback={"strategy": "default", "value": "later"})
    async with Engine(
        cfg, transport=ByHost(down=down, up=up), clock=clock, observers=[recorder]
    ) as engine:
        down.app.start(clock.now())
        await anyio.sleep(11)  # the first route is in its outage
        results = [await engine.call(MSG, feature="f") for _ in range(8)]
        breaker = engine.upstream("down").breaker
        assert breaker is not None and breaker.known_state().value == "open"
    assert {(r.outcome, r.route) for r in results} == {("ok", "up/mock-2")}
    finished = [e for e in recorder.events if isinstance(e, CallFinished)]
    assert [e.route for e in finished] == ["up/mock-2"] * 8  # the events say which route answered
    tried = [(e.provider, e.status) for e in recorder.events if isinstance(e, ModelCall)]
    assert ("openai", 503) in tried and tried.count(("anthropic", 200)) == 8
    # once its breaker opened, the failing route was skipped without an attempt
    assert down.app.snapshot(clock.now())["requests"] < 8 * 2


async def test_when_every_route_fails_the_fallback_answers() -> None:
    clock = AnyioClock()
    down = MockTransport("outage", clock=clock)
    also_down = MockTransport("outage", clock=clock)
    cfg = two_providers(fallback={"strategy": "default", "value": "later"})
    async with Engine(cfg, transport=ByHost(down=down, up=also_down), clock=clock) as engine:
        down.app.start(clock.now())
        also_down.app.start(clock.now())
        await anyio.sleep(11)
        result = await engine.call(MSG, feature="f")
    assert (result.outcome, result.text, result.route) == ("degraded:default", "later", None)


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (
            ["dwn/mock-1"],
            "got 'dwn', expected a provider defined under providers; did you mean 'down'?",
        ),
        (["up/mock-9"], "provider 'up' has no model 'mock-9' in the config"),
        (["up"], "expected provider/model"),
    ],
)
def test_bad_routes_are_config_errors_naming_the_route(routes: list[str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        two_providers(routes=routes)
    assert "features.f.routes[0]" in str(info.value) and expected in str(info.value)


async def test_a_model_with_its_own_limits_has_its_own_limiter() -> None:
    clock = AnyioClock()
    mock = MockTransport("instant", clock=clock)
    cfg = config_from_dict(
        {
            "providers": {
                "up": {
                    "kind": "anthropic",
                    "base_url": "http://up",
                    "model": "mock-2",
                    "limits": {"requests_per_minute": 600},
                    "models": {"mock-3": {"requests_per_minute": 1}},
                }
            },
            "limits": {"timeout_s": 5},
            "features": {
                "slow": {
                    "routes": ["up/mock-3"],
                    "fallback": {"strategy": "default", "value": "x"},
                },
                "fast": {"fallback": {"strategy": "default", "value": "x"}},
            },
        }
    )
    async with Engine(cfg, transport=mock, clock=clock) as engine:
        slow = [(await engine.call(MSG, feature="slow")).outcome for _ in range(2)]
        fast = [(await engine.call(MSG, feature="fast")).outcome for _ in range(5)]
        assert engine.upstream("up").limits.requests_per_minute == 600
    # one request a minute for mock-3: the second waits past its 5 s deadline
    assert slow == ["ok", "degraded:default"]
    assert fast == ["ok"] * 5  # the provider's other model keeps the provider's limit


async def test_high_priority_calls_pass_while_low_priority_ones_wait() -> None:
    clock = AnyioClock()
    mock = MockTransport("instant", clock=clock)
    cfg = config_from_dict(
        {
            "providers": {"p": {"kind": "openai", "base_url": "http://p/v1", "model": "mock-1"}},
            "limits": {"requests_per_minute": 6, "timeout_s": 600, "burst": 10},
            "features": {"batch": {"priority": "low"}, "chat": {"priority": "high"}},
        }
    )
    order: list[str] = []
    async with Engine(cfg, transport=mock, clock=clock) as engine:

        async def one(feature: str) -> None:
            await engine.call(MSG, feature=feature)
            order.append(feature)

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one, "batch")
            await anyio.sleep(0.5)  # the batch calls took the burst and wait at the limiter
            for _ in range(4):
                tg.start_soon(one, "chat")
    first_chat = order.index("chat")
    # once the interactive calls arrived, no batch call went before all of them had
    assert order[first_chat : first_chat + 4] == ["chat"] * 4
    assert order.count("batch") == 6 and order[-1] == "batch"
    assert "batch" in order[first_chat:]  # batch calls were still waiting when chat arrived


async def test_under_one_concurrency_limit_high_priority_calls_go_first() -> None:
    clock = AnyioClock()
    mock = MockTransport("default", clock=clock, seed=2)  # each answer takes a few 0.1 s
    faults = mock.app.profile.faults.model_copy(update={"error_rates": {}})
    mock.app.set_profile(mock.app.profile.model_copy(update={"faults": faults}), 0.0)
    cfg = config_from_dict(
        {
            "providers": {"p": {"kind": "openai", "base_url": "http://p/v1", "model": "mock-1"}},
            # no rate limits at all: the one limit is the engine's single concurrency slot
            "limits": {"max_concurrency": 1, "queue_limit": 20, "timeout_s": 600},
            "features": {"batch": {"priority": "low"}, "chat": {"priority": "high"}},
        }
    )
    order: list[str] = []
    async with Engine(cfg, transport=mock, clock=clock) as engine:

        async def one(feature: str) -> None:
            await engine.call(MSG, feature=feature)
            order.append(feature)

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one, "batch")
            await anyio.sleep(0.01)  # one batch call holds the slot, four wait in the queue
            assert engine.gate.in_flight == 1 and engine.gate.waiting == 4
            for _ in range(3):
                tg.start_soon(one, "chat")
    # the batch call already running finishes; then every chat call before the queued batch
    assert order == ["batch", "chat", "chat", "chat", "batch", "batch", "batch", "batch"]


async def test_normal_priority_waits_behind_high_and_ahead_of_low_in_the_queue() -> None:
    from llmops.engine.gate import ConcurrencyGate

    gate = ConcurrencyGate(1, 10, clock=AnyioClock())
    order: list[int] = []
    release = anyio.Event()

    async def holder() -> None:
        async with gate.slot(60.0, 2):
            await release.wait()

    async def one(rank: int) -> None:
        async with gate.slot(60.0, rank):
            order.append(rank)
            await anyio.sleep(1)  # each holds the one slot a while

    async with anyio.create_task_group() as tg:
        tg.start_soon(holder)
        await anyio.sleep(0.01)
        for rank in (2, 1, 2, 0, 1):  # queued in this order behind the holder
            tg.start_soon(one, rank)
            await anyio.sleep(0.01)
        assert gate.waiting == 5
        release.set()
    assert order == [0, 1, 1, 2, 2]


async def test_a_freed_slot_wakes_the_call_whose_turn_it_is_not_every_waiting_one() -> None:
    from llmops.engine.priority import Priorities

    lanes = Priorities()
    free = [0]
    tries = [0]
    served: list[int] = []

    def try_take() -> bool:
        tries[0] += 1
        if free[0]:
            free[0] -= 1
            return True
        return False

    async def one(i: int, rank: int) -> None:
        await lanes.take(rank, try_take)
        served.append(i)

    async with anyio.create_task_group() as tg:
        for i in range(50):  # lined up one after another (trio starts tasks in any order)
            tg.start_soon(one, i, 2 if i % 2 else 1)
            await anyio.sleep(0.001)
        tries[0] = 0
        free[0] = 1
        lanes.notify()  # one slot came free
        await anyio.sleep(0.01)
        assert served == [0] and tries[0] <= 2  # the first normal call, and one look by the next
        free[0] = 49
        lanes.notify()
    # then the rest: every normal (even) call before any low (odd) one, each rank in arrival order
    assert served == [0, *range(2, 50, 2), *range(1, 50, 2)]
