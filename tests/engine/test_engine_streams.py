"""Streaming through the engine: timings, failures, and no retry once output was delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import orjson
import pytest

from llmops import Engine, FeatureUnavailable, StreamError
from tests.engine.conftest import Upstream, make_config

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "stream please"}]


def sse(words: list[str], *, done: bool = True, gap_s: float = 0.1) -> httpx.Response:
    async def body() -> AsyncIterator[bytes]:
        for i, word in enumerate(words):
            await anyio.sleep(gap_s)
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "model": "mock-1-2026-01",
                "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
            }
            if i == len(words) - 1:
                chunk["choices"][0]["finish_reason"] = "stop"
            yield b"data: " + orjson.dumps(chunk) + b"\n\n"
        if done:
            yield b"data: [DONE]\n\n"

    return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})


async def test_stream_records_ttft_and_chunk_times() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return sse(["a", "b", "c"], gap_s=0.5)

    up = Upstream(handler)
    seen: list[str] = []
    async with Engine(make_config(), transport=up.transport()) as engine:
        result = await engine.stream(MSG, on_chunk=lambda text, t: seen.append(text))
    assert result.ok and result.text == "abc" and seen == ["a", "b", "c"]
    assert result.response is not None
    assert result.response.ttft_s == pytest.approx(0.5, abs=0.01)
    assert result.response.chunk_times_s == pytest.approx([0.5, 1.0, 1.5], abs=0.01)
    assert up.requests[0]["stream"] is True


async def test_truncated_stream_before_output_is_retried() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if len(up.requests) == 1:
            return sse([], done=False)
        return sse(["ok"])

    up = Upstream(handler)
    async with Engine(make_config(), transport=up.transport()) as engine:
        result = await engine.stream(MSG)
    assert result.ok and result.attempts == 2


async def test_stream_failing_after_output_is_not_retried() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return sse(["partial"], done=False)

    up = Upstream(handler)
    async with Engine(make_config(), transport=up.transport()) as engine:
        with pytest.raises(FeatureUnavailable) as info:
            await engine.stream(MSG, on_chunk=lambda text, t: None)
    assert isinstance(info.value.cause, StreamError)
    assert len(up.requests) == 1


async def test_stalled_stream_is_a_stream_failure() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return sse(["slow"], gap_s=60)

    up = Upstream(handler)
    cfg = make_config(
        limits={"stream_stall_s": 5, "attempt_timeout_s": 100}, retry={"max_attempts": 1}
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        with pytest.raises(FeatureUnavailable) as info:
            await engine.stream(MSG)
    assert isinstance(info.value.cause, StreamError)
