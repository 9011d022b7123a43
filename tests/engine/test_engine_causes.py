"""The upstream cause behind the breaker's refusals and the fallback's answers is kept."""

from __future__ import annotations

import httpx
import pytest

from llmops import CircuitOpen, Engine, EventRecorder, FeatureUnavailable
from llmops.engine.events import CallFinished
from tests.engine.conftest import Upstream, error_response, make_config

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "summarise this"}]
BREAKER = {"enabled": True, "failure_rate_threshold": 0.5, "minimum_calls": 2, "open_s": 30}


def refused() -> Upstream:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    return Upstream(handler)


async def test_breaker_refusal_names_the_connection_refused_behind_it() -> None:
    cfg = make_config(breaker=BREAKER, retry={"max_attempts": 1})
    async with Engine(cfg, transport=refused().transport()) as engine:
        for _ in range(2):
            with pytest.raises(FeatureUnavailable):
                await engine.call(MSG)
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG)
    assert isinstance(info.value.cause, CircuitOpen)
    assert info.value.upstream_cause == "connection refused to 127.0.0.1:9"


async def test_degraded_answer_carries_the_cause() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return error_response(503, "overloaded_error")

    cfg = make_config(
        retry={"max_attempts": 1},
        features={"f": {"provider": "main", "fallback": {"strategy": "default", "value": "x"}}},
    )
    recorder = EventRecorder()
    async with Engine(cfg, transport=Upstream(handler).transport(), observers=[recorder]) as e:
        result = await e.call(MSG, feature="f")
    assert result.degraded and result.cause == "HTTP 503 (overloaded)"
    finished = [ev for ev in recorder.events if isinstance(ev, CallFinished)]
    assert finished[0].as_log()["llmops.cause"] == "HTTP 503 (overloaded)"


async def test_timeouts_say_after_how_long() -> None:
    import anyio

    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return error_response(500, "server_error")

    cfg = make_config(retry={"max_attempts": 1}, limits={"attempt_timeout_s": 2})
    async with Engine(cfg, transport=Upstream(handler).transport()) as engine:
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG)
    assert info.value.upstream_cause == "timed out after 2 s"


def test_a_name_that_does_not_resolve_is_not_called_refused() -> None:
    from llmops.engine.result import describe_failure
    from llmops.errors import TransportError

    err = TransportError("ClientConnectorDNSError: Cannot connect to host nope.invalid:443")
    said = describe_failure(err, "https://nope.invalid/v1")
    assert said.startswith("connection failed to nope.invalid:443 (ClientConnectorDNSError")
