"""httpx transports that run each official-SDK request through the engine.

Duck-typed transports (``handle_request`` / ``handle_async_request``), so one class serves the
``httpx2`` package current SDK releases take and the ``httpx`` older ones take. The SDK builds
its request as usual; the transport hands the body to
:meth:`llmops.Engine.call` as ``wire_body`` (sent as is to the feature's provider, with the
engine's limits, retries, breaker and events) and gives the SDK back what came back: the
provider's own body, a fallback's answer written in the same wire format (marked
``x-llmops-outcome: degraded:<strategy>``), or an error body the SDK raises as its own error.
Every reply carries ``x-should-retry: false``: the engine has retried already, and the SDK's own
retries would multiply its attempts (:mod:`llmops.sdk.call`). A streamed request is live: the
SDK reads the provider's bytes as they arrive (:mod:`llmops.sdk.live`).
"""

from __future__ import annotations

import importlib
from types import TracebackType
from typing import Any

import anyio
import orjson

from llmops.engine.engine import Engine
from llmops.engine.sync import SyncEngine
from llmops.sdk.call import Reply, through_engine
from llmops.sdk.live import Head, LiveCalls, async_body, sync_body

__all__ = ["AsyncEngineTransport", "EngineTransport", "http_module"]


def http_module() -> Any:
    """The HTTP client package the installed SDKs take: ``httpx2`` (current releases of both
    official SDKs), else ``httpx`` (older ones)."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


class AsyncEngineTransport:
    """For ``AsyncOpenAI`` / ``AsyncAnthropic``: each request through an :class:`Engine`.

    The engine is entered on the first request, in the SDK's own event loop, and closed by
    :meth:`aclose` — unless it was passed in already running (then its owner closes it).
    :meth:`aclose` also ends the live streams this transport started (:mod:`llmops.sdk.live`).
    """

    def __init__(self, engine: Engine, feature: str, *, owns_engine: bool, http: Any) -> None:
        self.engine = engine
        self._http = http
        self.feature = feature
        self._owns = owns_engine
        self._entered = not owns_engine
        self._lock: anyio.Lock | None = None
        self._live = LiveCalls()

    async def handle_async_request(self, request: Any) -> Any:
        """Run ``request`` through the engine and return the SDK's response."""
        if not self._entered:
            self._lock = self._lock or anyio.Lock()
            async with self._lock:
                if not self._entered:
                    await self.engine.__aenter__()
                    self._entered = True
        body = await request.aread()
        path = request.url.path
        if not _streamed(body):
            reply = await through_engine(self.engine, self.feature, path, body)
            return reply.response(self._http, request)
        first, stream = await async_body(
            self._http, self.engine, self.feature, path, body, self._live
        )
        if isinstance(first, Reply):
            await stream.aclose()
            return first.response(self._http, request)
        return _live_response(self._http, first, stream, request)

    async def aclose(self) -> None:
        """Cancel the live streams this transport started and wait (bounded) until their
        engine calls have ended (``call_finished``: ``cancelled``); then close the engine if
        this transport entered it."""
        await self._live.aclose()
        if self._owns and self._entered:
            self._entered = False
            await self.engine.aclose()

    async def __aenter__(self) -> AsyncEngineTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class EngineTransport:
    """For ``OpenAI`` / ``Anthropic``: each request through a :class:`SyncEngine`'s loop.
    :meth:`close` ends the live streams this transport started (:mod:`llmops.sdk.live`)."""

    def __init__(self, engine: SyncEngine, feature: str, *, owns_engine: bool, http: Any) -> None:
        self.engine = engine
        self._http = http
        self.feature = feature
        self._owns = owns_engine
        self._live = LiveCalls()  # used on the engine's loop only

    def handle_request(self, request: Any) -> Any:
        """Run ``request`` through the engine (blocking) and return the SDK's response."""
        body = request.read()
        path = request.url.path
        if not _streamed(body):
            reply = self.engine.run(through_engine, self.engine.engine, self.feature, path, body)
            return reply.response(self._http, request)
        first, stream = sync_body(
            self._http,
            self.engine.start_soon,
            self.engine.engine,
            self.feature,
            path,
            body,
            self._live,
        )
        if isinstance(first, Reply):
            stream.close()
            return first.response(self._http, request)
        return _live_response(self._http, first, stream, request)

    def close(self) -> None:
        """Cancel the live streams this transport started and wait (bounded) until their
        engine calls have ended (``call_finished``: ``cancelled``); then close the engine and
        its loop's thread if this transport made them."""
        if not self.engine.closed:  # (a closed engine's loop has ended every task)
            self.engine.run(self._live.aclose)
        if self._owns:
            self.engine.close()

    def __enter__(self) -> EngineTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _streamed(body: bytes) -> bool:
    """Whether an SDK request body asks for a stream (a body that is no JSON object is not:
    the buffered path refuses it)."""
    try:
        data = orjson.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and bool(data.get("stream"))


def _live_response(http: Any, head: Head, stream: Any, request: Any) -> Any:
    return http.Response(200, headers=head.headers, stream=stream, request=request)
