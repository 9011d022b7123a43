"""Fixtures for provider tests: streams timed on a virtual clock, httpx.MockTransport helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import httpx
import pytest

from llmops.engine.clock import VirtualClock
from llmops.engine.transport_httpx import HttpxTransport


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Recorder:
    """Remembers the requests a mock transport saw."""

    requests: list[httpx.Request] = field(default_factory=list)


class TimedStream(httpx.AsyncByteStream):
    """A response body that moves the clock to each chunk's time before yielding it."""

    def __init__(self, clock: VirtualClock, chunks: Iterable[tuple[float, bytes]]) -> None:
        self._clock = clock
        self._chunks = list(chunks)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for at, chunk in self._chunks:
            await self._clock.advance(max(0.0, at - self._clock.now()))
            yield chunk


def mock_transport(
    handler: Callable[[httpx.Request], httpx.Response], recorder: Recorder | None = None
) -> HttpxTransport:
    """An :class:`HttpxTransport` whose client answers every request with ``handler``."""

    def record(request: httpx.Request) -> httpx.Response:
        if recorder is not None:
            recorder.requests.append(request)
        return handler(request)

    return HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(record)))


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> HttpxTransport:
    """A transport that always answers ``status`` with ``body``."""
    return mock_transport(lambda _: httpx.Response(status, headers=headers, content=body))


def sse_transport(clock: VirtualClock, chunks: Iterable[tuple[float, bytes]]) -> HttpxTransport:
    """A transport answering 200 ``text/event-stream`` with timed chunks."""
    items = list(chunks)
    return mock_transport(
        lambda _: httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=TimedStream(clock, items),
        )
    )
