"""The in-process transport: the engine's seam and the httpx wrapper, on an injected clock."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import orjson
import pytest
from trio.testing import MockClock

from llmops.engine.clock import AnyioClock
from llmops.engine.transport import HttpRequest, Transport
from llmops.errors import TransportError
from llmops.mock import MockProfile, MockTransport
from tests.mock.conftest import StepClock

URL = "http://mock/v1/chat/completions"


def request(text: str = "hello", **extra: Any) -> HttpRequest:
    body = {"model": "m", "messages": [{"role": "user", "content": text}], **extra}
    return HttpRequest("POST", URL, {"content-type": "application/json"}, orjson.dumps(body))


def profile(**data: Any) -> MockProfile:
    return MockProfile.model_validate(data)


def test_mock_transport_implements_the_transport_seam() -> None:
    assert isinstance(MockTransport("instant"), Transport)


@pytest.mark.anyio
async def test_send_returns_the_answer(step_clock: StepClock) -> None:
    response = await MockTransport("default", clock=step_clock).send(request("I want a refund"))
    assert (response.status, json.loads(response.body)["choices"][0]["message"]["content"]) == (
        200,
        "billing",
    )


@pytest.mark.anyio
async def test_send_sleeps_the_service_time_on_the_clock(step_clock: StepClock) -> None:
    latency = {"ttft_s": 0.5, "time_per_token_s": 0.1}
    mock = MockTransport(
        profile(latency=latency, output_tokens={"mean": 10, "sigma": 0}), clock=step_clock
    )
    await mock.send(request())
    assert step_clock.t - 100.0 == pytest.approx(1.5)


@pytest.mark.anyio
async def test_stream_chunks_arrive_at_their_planned_times(step_clock: StepClock) -> None:
    faults = {"stall": {"rate": 1.0, "after_chunks": 2, "seconds": 7}}
    mock = MockTransport(
        profile(faults=faults, output_tokens={"mean": 4, "sigma": 0}), clock=step_clock
    )
    arrivals = []
    async with mock.stream(request(stream=True)) as response:
        async for _ in response.iter_bytes():
            arrivals.append(step_clock.t - 100.0)
    assert arrivals == [0.0, 0.0, 7.0, 7.0, 7.0]


@pytest.mark.anyio
async def test_reset_raises_transport_error(step_clock: StepClock) -> None:
    mock = MockTransport(profile(faults={"reset": {"rate": 1.0}}), clock=step_clock)
    with pytest.raises(TransportError):
        await mock.send(request())


@pytest.mark.anyio
async def test_reset_mid_stream_raises_after_the_delivered_chunks(step_clock: StepClock) -> None:
    mock = MockTransport(
        profile(faults={"reset": {"rate": 1.0, "after_chunks": 2}}), clock=step_clock
    )
    received = b""
    with pytest.raises(TransportError):
        async with mock.stream(request(stream=True)) as response:
            async for chunk in response.iter_bytes():
                received += chunk
    assert received.count(b"data: ") == 1 + 2  # the role chunk and two tokens


@pytest.mark.anyio
async def test_stats_count_in_process_requests(step_clock: StepClock) -> None:
    mock = MockTransport("instant", clock=step_clock)
    await mock.send(request())
    stats = await mock.send(HttpRequest("GET", "http://mock/_mock/stats", {}))
    assert json.loads(stats.body)["by_status"] == {"200": 1}


@pytest.mark.anyio
async def test_httpx_client_over_the_mock(step_clock: StepClock) -> None:
    transport = MockTransport("default", clock=step_clock).as_httpx_transport()
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        response = await client.post(
            "/v1/messages",
            json={"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "ping"}]},
        )
    assert response.json()["content"][0]["text"] == "pong"


@pytest.mark.anyio
async def test_httpx_stream_yields_sse_lines(step_clock: StepClock) -> None:
    transport = MockTransport("instant", clock=step_clock).as_httpx_transport()
    async with httpx.AsyncClient(transport=transport) as client:
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        async with client.stream("POST", URL, json=body) as response:
            lines = [line async for line in response.aiter_lines() if line]
    assert lines[-1] == "data: [DONE]"


@pytest.mark.anyio
async def test_httpx_reset_raises_read_error(step_clock: StepClock) -> None:
    transport = MockTransport(
        profile(faults={"reset": {"rate": 1.0}}), clock=step_clock
    ).as_httpx_transport()
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ReadError):
            await client.post(
                URL, json={"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            )


@pytest.mark.parametrize(
    "anyio_backend",
    [pytest.param(("trio", {"clock": MockClock(autojump_threshold=0)}), id="trio-virtual")],
)
@pytest.mark.anyio
async def test_runs_on_trio_virtual_time() -> None:
    stall = {"stall": {"rate": 1.0, "after_chunks": 1, "seconds": 3600}}  # an hour, in virtual time
    mock = MockTransport(
        profile(faults=stall, output_tokens={"mean": 3, "sigma": 0}), clock=AnyioClock()
    )
    start = anyio.current_time()
    async with mock.stream(request(stream=True)) as response:
        chunks = [chunk async for chunk in response.iter_bytes()]
    assert len(chunks) == 4 and anyio.current_time() - start == pytest.approx(3600)


@pytest.mark.anyio
async def test_logprobs_come_only_when_asked_in_openai_format(step_clock: StepClock) -> None:
    from llmops.mock.logprobs import token_logprob
    from llmops.providers.openai import _logprobs

    mock = MockTransport("instant", clock=step_clock)
    plain = json.loads((await mock.send(request("hello"))).body)["choices"][0]
    asked = json.loads((await mock.send(request("hello", logprobs=True, top_logprobs=2))).body)[
        "choices"
    ][0]
    assert plain["logprobs"] is None
    content = asked["logprobs"]["content"]
    assert "".join(t["token"] for t in content) == asked["message"]["content"]
    assert [t["logprob"] for t in content] == [round(token_logprob(t["token"]), 6) for t in content]
    assert all(len(t["top_logprobs"]) == 2 for t in content)
    assert _logprobs(asked["logprobs"]) == [t["logprob"] for t in content]
