"""The mock in-process: the engine's transport seam and an httpx transport, on an injected clock.

Every delay goes through the :class:`~llmops.engine.clock.Clock` given (the event loop's anyio
clock by default), so tests can run on trio's ``MockClock`` virtual time; nothing here is
asyncio-only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from llmops.engine.clock import AnyioClock, Clock
from llmops.engine.transport import HttpRequest, HttpResponse
from llmops.errors import TransportError
from llmops.mock.handler import MockApp, Plan
from llmops.mock.profile import MockProfile

_RESET = "connection reset by peer (mock)"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


class MockStreamResponse:
    """An open mock response; chunks arrive at their planned times on the clock."""

    def __init__(self, plan: Plan, clock: Clock, due: float) -> None:
        self._plan = plan
        self._clock = clock
        self._due = due

    @property
    def status(self) -> int:
        return self._plan.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._plan.headers

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body's chunks as they arrive; raise ``TransportError`` on a reset."""
        plan = self._plan
        if plan.chunks is None:
            yield plan.body
            return
        for delay, chunk in plan.chunks:
            self._due += delay
            await self._clock.sleep(self._due - self._clock.now())
            yield chunk
        if plan.reset:
            raise TransportError(_RESET)

    async def read(self) -> bytes:
        """The whole remaining body."""
        return b"".join([chunk async for chunk in self.iter_bytes()])


class MockTransport:
    """The mock as an llmops :class:`~llmops.engine.transport.Transport` (send/stream/aclose).

    ``MockTransport("flaky", seed=3, clock=virtual_clock)``; ``app`` is the shared handler
    (``app.set_profile(...)``, ``app.snapshot(now)``). URLs may use any host: only the path
    counts (``/v1/chat/completions``, ``/v1/messages``, ``/_mock/...``).
    """

    def __init__(
        self,
        profile: MockProfile | str | Path = "default",
        *,
        clock: Clock | None = None,
        seed: int = 0,
    ) -> None:
        self.app = MockApp(profile, seed=seed)
        self.clock: Clock = clock or AnyioClock()

    async def _plan(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Plan, float]:
        now = self.clock.now()
        plan = self.app.handle(method, url, headers, body, now)
        due = now + plan.head_delay
        await self.clock.sleep(due - self.clock.now())
        if plan.reset and plan.chunks is None:
            raise TransportError(_RESET)
        return plan, due

    async def send(self, request: HttpRequest) -> HttpResponse:
        """The whole response, after its planned delays."""
        self.app.stats.enter()
        try:
            plan, due = await self._plan(
                request.method, _path(request.url), request.headers, request.body
            )
            body = await MockStreamResponse(plan, self.clock, due).read()
        finally:
            self.app.stats.in_flight -= 1
        return HttpResponse(plan.status, dict(plan.headers), body)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[MockStreamResponse]:
        """``async with transport.stream(req) as resp:`` then ``async for chunk in resp.iter_bytes()``."""
        self.app.stats.enter()
        try:
            plan, due = await self._plan(
                request.method, _path(request.url), request.headers, request.body
            )
            yield MockStreamResponse(plan, self.clock, due)
        finally:
            self.app.stats.in_flight -= 1

    async def aclose(self) -> None:
        """Nothing to release."""

    def as_httpx_transport(self) -> MockHttpxTransport:
        """The same mock (same state and clock) for ``httpx.AsyncClient(transport=...)``."""
        return MockHttpxTransport(self)


class _ChunkStream(httpx.AsyncByteStream):
    def __init__(self, response: MockStreamResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.iter_bytes():
                yield chunk
        except TransportError:
            raise httpx.ReadError(_RESET, request=self._request) from None


class MockHttpxTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` over a :class:`MockTransport`; resets raise ``httpx.ReadError``."""

    def __init__(self, mock: MockTransport | None = None) -> None:
        self.mock = mock or MockTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            plan, due = await self.mock._plan(
                request.method, request.url.raw_path.decode(), request.headers, body
            )
        except TransportError:
            raise httpx.ReadError(_RESET, request=request) from None
        headers = list(plan.headers.items())
        if plan.chunks is None:
            return httpx.Response(plan.status, headers=headers, content=plan.body, request=request)
        stream = _ChunkStream(MockStreamResponse(plan, self.mock.clock, due), request)
        return httpx.Response(plan.status, headers=headers, stream=stream, request=request)
