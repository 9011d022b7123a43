"""The loopback server with the official SDKs, the control endpoints, and the subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from llmops.errors import ConfigError
from llmops.mock import MockProfile, MockServer, spawn_mock_server

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]

USER: Any = [{"role": "user", "content": "I was charged twice, please refund me"}]


def openai_client(server: MockServer, retries: int = 0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="test", max_retries=retries)


def anthropic_client(server: MockServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.url, api_key="test", max_retries=0)


def limited(**faults: Any) -> MockProfile:
    return MockProfile.model_validate({"rate_limits": {"requests_per_minute": 1}, "faults": faults})


async def test_openai_sdk_plain_call() -> None:
    async with MockServer("default") as server, openai_client(server) as client:
        reply = await client.chat.completions.create(model="gpt-x", messages=USER)
    assert (
        reply.choices[0].message.content,
        reply.model,
        reply.usage and reply.usage.completion_tokens,
    ) == (
        "billing",
        "mock-1-2026-01",
        1,
    )


async def test_openai_sdk_streaming_with_usage() -> None:
    async with MockServer("instant") as server, openai_client(server) as client:
        stream = await client.chat.completions.create(
            model="gpt-x",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
        deltas, usage = [], None
        async for chunk in stream:
            deltas += [c.delta.content or "" for c in chunk.choices]
            usage = chunk.usage or usage
    assert (usage and usage.completion_tokens, len("".join(deltas).split())) == (50, 50)


async def test_openai_sdk_sees_retry_after_on_429() -> None:
    async with MockServer(limited()) as server, openai_client(server) as client:
        await client.chat.completions.create(model="gpt-x", messages=USER)
        with pytest.raises(openai.RateLimitError) as info:
            await client.chat.completions.create(model="gpt-x", messages=USER)
    headers = info.value.response.headers
    assert (headers["retry-after"], headers["x-ratelimit-remaining-requests"], info.value.code) == (
        "60",
        "0",
        "rate_limit_exceeded",
    )


async def test_openai_sdk_retries_after_the_servers_delay() -> None:
    outage = {
        "outages": [{"start_request": 0, "end_request": 1, "status": 429}],
        "retry_after_s": 0.02,
    }
    async with (
        MockServer(MockProfile.model_validate({"faults": outage})) as server,
        openai_client(server, retries=2) as client,
    ):
        reply = await client.chat.completions.create(model="gpt-x", messages=USER)
        stats = server.app.stats.by_status
    assert (reply.choices[0].finish_reason, dict(stats)) == ("stop", {"429": 1, "200": 1})


async def test_openai_sdk_sees_insufficient_quota() -> None:
    profile = MockProfile.model_validate({"faults": {"error_rates": {"quota": 1.0}}})
    async with MockServer(profile) as server, openai_client(server) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await client.chat.completions.create(model="gpt-x", messages=USER)
    assert info.value.code == "insufficient_quota"


async def test_anthropic_sdk_plain_call() -> None:
    async with MockServer("default") as server, anthropic_client(server) as client:
        message = await client.messages.create(model="claude-x", max_tokens=50, messages=USER)
    assert (message.content[0].text, message.stop_reason, message.usage.output_tokens) == (  # type: ignore[union-attr]
        "billing",
        "end_turn",
        1,
    )


async def test_anthropic_sdk_streaming() -> None:
    params: Any = {"model": "claude-x", "max_tokens": 100, "messages": USER}
    async with (
        MockServer("instant") as server,
        anthropic_client(server) as client,
        client.messages.stream(**params) as stream,
    ):
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert (len(text.split()), final.usage.output_tokens, final.stop_reason) == (50, 50, "end_turn")


async def test_anthropic_sdk_sees_retry_after_on_429() -> None:
    async with MockServer(limited()) as server, anthropic_client(server) as client:
        await client.messages.create(model="claude-x", max_tokens=50, messages=USER)
        with pytest.raises(anthropic.RateLimitError) as info:
            await client.messages.create(model="claude-x", max_tokens=50, messages=USER)
    headers = info.value.response.headers
    assert (headers["retry-after"], headers["anthropic-ratelimit-requests-remaining"]) == (
        "60",
        "0",
    )


async def test_anthropic_sdk_sees_529_overloaded() -> None:
    profile = MockProfile.model_validate({"faults": {"error_rates": {"529": 1.0}}})
    async with MockServer(profile) as server, anthropic_client(server) as client:
        with pytest.raises(anthropic.APIStatusError) as info:
            await client.messages.create(model="claude-x", max_tokens=50, messages=USER)
    assert (info.value.status_code, info.value.body["error"]["type"]) == (529, "overloaded_error")  # type: ignore[index]


async def test_connection_reset_reaches_the_client() -> None:
    profile = MockProfile.model_validate({"faults": {"reset": {"rate": 1.0}}})
    async with MockServer(profile) as server, httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):
            await client.post(
                server.url + "/v1/chat/completions", json={"model": "m", "messages": USER}
            )


async def test_truncated_stream_reaches_the_client_without_done() -> None:
    profile = MockProfile.model_validate({"faults": {"truncate": {"rate": 1.0, "after_chunks": 3}}})
    async with MockServer(profile) as server, httpx.AsyncClient() as client:
        body = {"model": "m", "stream": True, "messages": USER}
        response = await client.post(server.url + "/v1/chat/completions", json=body)
    data = [line for line in response.text.split("\n") if line.startswith("data: ")]
    assert (len(data), "data: [DONE]" in data) == (1 + 3, False)  # the role chunk, 3 tokens


async def test_control_endpoints_patch_and_report() -> None:
    async with MockServer("instant") as server, httpx.AsyncClient(base_url=server.url) as client:
        patched = await client.post(
            "/_mock/profile", json={"faults": {"error_rates": {"500": 1.0}}}
        )
        failed = await client.post("/v1/chat/completions", json={"model": "m", "messages": USER})
        stats = (await client.get("/_mock/stats")).json()
    assert (patched.status_code, failed.status_code, stats["by_status"]) == (200, 500, {"500": 1})


async def test_stats_request_is_not_counted_in_flight() -> None:
    async with MockServer("instant") as server, httpx.AsyncClient(base_url=server.url) as client:
        stats = (await client.get("/_mock/stats")).json()
    assert (stats["in_flight"], stats["requests"]) == (0, 0)


def test_spawned_server_answers_and_stops_on_exit() -> None:
    with spawn_mock_server("instant", seed=1) as url:
        reply = httpx.post(url + "/v1/chat/completions", json={"model": "m", "messages": USER})
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_mock/stats")
    assert (url.startswith("http://127.0.0.1:"), json.loads(reply.text)["object"]) == (
        True,
        "chat.completion",
    )


def test_spawn_with_a_bad_profile_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("capacity: {slots: many}\n")
    with pytest.raises(ConfigError, match=r"capacity\.slots: got 'many'"), spawn_mock_server(path):
        pass


def test_python_dash_m_exits_2_on_a_bad_profile(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("latency: {ttft_s: -1}\n")
    done = subprocess.run(
        ["python", "-m", "llmops.mock", "--profile", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
