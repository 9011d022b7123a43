"""Failures shared by both providers' streams: stalls and bodies cut mid-stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
import trio.testing

from llmops.engine.transport_httpx import HttpxTransport
from llmops.errors import StreamError
from llmops.providers.openai import OpenAIProvider
from llmops.types import LLMRequest

from .conftest import FakeClock, mock_transport

REQ = LLMRequest(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
FIRST = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
virtual_time = pytest.mark.parametrize(
    "anyio_backend",
    [
        pytest.param(
            ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio-virtual"
        )
    ],
)


class StallingStream(httpx.AsyncByteStream):
    """Sends one chunk, then waits (virtual) ``pause`` seconds before finishing."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield FIRST
        await anyio.sleep(self.pause)
        yield b"data: [DONE]\n\n"


class CutStream(httpx.AsyncByteStream):
    """Sends one chunk, then the connection breaks."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield FIRST
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )


def provider() -> OpenAIProvider:
    return OpenAIProvider("http://127.0.0.1:8000/v1", "sk-test-key")


def stream_transport(stream: httpx.AsyncByteStream) -> HttpxTransport:
    return mock_transport(lambda _: httpx.Response(200, stream=stream))


@virtual_time
@pytest.mark.anyio
async def test_stall_past_timeout_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="stalled"):
        await provider().stream(
            stream_transport(StallingStream(60.0)), REQ, clock=FakeClock(), stall_timeout_s=5.0
        )


@virtual_time
@pytest.mark.anyio
async def test_pause_within_timeout_is_not_a_stall() -> None:
    resp = await provider().stream(
        stream_transport(StallingStream(4.0)), REQ, clock=FakeClock(), stall_timeout_s=5.0
    )
    assert resp.text == "a"


@pytest.mark.anyio
async def test_connection_cut_mid_stream_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="ended early"):
        await provider().stream(stream_transport(CutStream()), REQ, clock=FakeClock())
