"""Failures shared by both providers' streams: stalls and bodies cut mid-stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import httpx
import pytest

from llmops.engine.clock import VirtualClock
from llmops.engine.transport_httpx import HttpxTransport
from llmops.errors import StreamError
from llmops.providers.openai import OpenAIProvider
from llmops.types import LLMRequest, LLMResponse

from .conftest import mock_transport

REQ = LLMRequest(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
FIRST = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
STALL_S = 5.0


class StallingStream(httpx.AsyncByteStream):
    """Sends one chunk, then waits ``pause`` seconds on the clock before finishing."""

    def __init__(self, clock: VirtualClock, pause: float) -> None:
        self.clock = clock
        self.pause = pause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield FIRST
        await self.clock.sleep(self.pause)
        yield b"data: [DONE]\n\n"


class StreamRun:
    """A stream read in the background while the test moves a virtual clock by hand."""

    def __init__(self, clock: VirtualClock, pause: float) -> None:
        self.clock = clock
        self.pause = pause
        self.outcome: list[object] = []  # the response, or the StreamError

    async def read(self) -> None:
        transport = stream_transport(StallingStream(self.clock, self.pause))
        try:
            response = await provider().stream(
                transport, REQ, clock=self.clock, stall_timeout_s=STALL_S
            )
        except StreamError as exc:
            self.outcome.append(exc)
        else:
            self.outcome.append(response)

    async def advance(self, seconds: float) -> list[object]:
        """Move the clock, then let the reader react (a bounded number of scheduling rounds,
        no waiting on any other clock); return what it has done so far."""
        await self.clock.advance(seconds)
        for _ in range(1000):
            if self.outcome:
                break
            await anyio.lowlevel.checkpoint()
        return self.outcome


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


@pytest.mark.anyio
async def test_a_stall_times_out_on_the_injected_clock_without_a_real_wait() -> None:
    clock = VirtualClock()
    run = StreamRun(clock, pause=3600.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(run.read)
        await clock.until_waiting(2)  # the stall deadline and the body's pause
        before = list(await run.advance(STALL_S - 0.1))
        after = await run.advance(0.1)
        tg.cancel_scope.cancel()
    assert before == []
    assert len(after) == 1 and isinstance(after[0], StreamError)
    assert "stalled: no data for 5 s" in str(after[0])


@pytest.mark.anyio
async def test_a_pause_within_the_stall_timeout_is_not_a_stall() -> None:
    clock = VirtualClock()
    run = StreamRun(clock, pause=STALL_S - 1.0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(run.read)
        await clock.until_waiting(2)
        outcome = await run.advance(STALL_S - 1.0)
        tg.cancel_scope.cancel()
    assert len(outcome) == 1 and isinstance(outcome[0], LLMResponse)
    assert outcome[0].text == "a"


@pytest.mark.anyio
async def test_connection_cut_mid_stream_is_a_stream_error() -> None:
    with pytest.raises(StreamError, match="ended early"):
        await provider().stream(stream_transport(CutStream()), REQ, clock=VirtualClock())
