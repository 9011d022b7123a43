"""The engine against the mock: in-process on virtual time, and over loopback HTTP on asyncio."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from llmops import Engine, EventRecorder, ModelCall, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.mock import MockServer, MockTransport

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "I was charged twice, please refund me"}]


def cfg(kind: str, base_url: str, **extra: Any) -> Any:
    return config_from_dict(
        {
            "providers": {"p": {"kind": kind, "base_url": base_url, "model": "mock-1"}},
            "retry": {"max_attempts": 6, "budget_min_per_s": 5},
            **extra,
        }
    )


class TestVirtualTime:
    @pytest.fixture
    def anyio_backend(self) -> tuple[str, dict[str, Any]]:
        from trio.testing import MockClock

        return ("trio", {"clock": MockClock(autojump_threshold=0)})

    async def test_rate_limited_upstream_is_absorbed_by_retry_after(self) -> None:
        clock = AnyioClock()
        transport = MockTransport("rate-limited", clock=clock, seed=7)
        # no quota faults here: only the RPM/TPM buckets push back
        profile = transport.app.profile
        transport.app.set_profile(
            profile.model_copy(update={"faults": type(profile.faults)()}), 0.0
        )
        recorder = EventRecorder()
        config = cfg("openai", "http://mock/v1", limits={"max_concurrency": 200, "timeout_s": 300})
        outcomes: list[str] = []
        async with Engine(config, transport=transport, clock=clock, observers=[recorder]) as engine:

            async def one() -> None:
                outcomes.append((await engine.call(MSG)).outcome)

            async with anyio.create_task_group() as tg:
                for _ in range(150):  # more than the mock's 120 requests per minute
                    tg.start_soon(one)
        statuses = [e.status for e in recorder.events if isinstance(e, ModelCall)]
        assert outcomes == ["ok"] * 150
        assert 429 in statuses  # the mock did push back, and every call still succeeded

    async def test_outage_opens_the_breaker_and_the_default_fallback_answers(self) -> None:
        clock = AnyioClock()
        transport = MockTransport("outage", clock=clock)
        config = cfg(
            "openai",
            "http://mock/v1",
            retry={"max_attempts": 2},
            breaker={"minimum_calls": 5, "window_s": 10, "open_s": 5},
            features={"f": {"fallback": {"strategy": "default", "value": "later"}}},
        )
        outcomes: list[str] = []
        async with Engine(config, transport=transport, clock=clock) as engine:
            transport.app.start(clock.now())
            await anyio.sleep(11)  # into the outage window (10-40 s)
            for _ in range(20):
                outcomes.append((await engine.call(MSG, feature="f")).outcome)
            up = engine.upstream()
            assert up.breaker is not None and up.breaker.known_state().value == "open"
        assert set(outcomes) == {"degraded:default"}
        served = transport.app.snapshot(clock.now())
        assert served["requests"] < 20 * 2  # the open breaker spared the upstream


class TestLoopback:
    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.mark.parametrize(("kind", "suffix"), [("openai", "/v1"), ("anthropic", "")])
    async def test_call_and_stream_over_real_http(self, kind: str, suffix: str) -> None:
        chunks: list[str] = []
        async with (
            MockServer("default", seed=3) as server,
            Engine(cfg(kind, server.url + suffix)) as engine,
        ):
            plain = await engine.call(MSG)
            streamed = await engine.stream(MSG, on_chunk=lambda text, t: chunks.append(text))
        assert plain.text == "billing" and plain.response is not None
        assert plain.response.model == "mock-1-2026-01"
        assert streamed.text == "billing" and "".join(chunks) == "billing"
        assert streamed.response is not None and streamed.response.ttft_s is not None
