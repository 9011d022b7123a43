"""The aiohttp adapter of the transport seam: the fast default on asyncio.

Kept lean because it is the load generator's hot path: one ``aiohttp.ClientSession``, made
lazily inside the running event loop on first use, a ``TCPConnector`` with DNS caching and
keep-alive, no cookie jar and no aiohttp timeouts (the engine imposes deadlines by
cancellation). **asyncio only**: aiohttp does not run on trio; use
:class:`llmops.engine.transport_httpx.HttpxTransport` there (``default_transport`` chooses).
One transport belongs to one event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from types import TracebackType

import aiohttp

from llmops.engine.transport import (
    MAX_BODY_BYTES,
    HttpRequest,
    HttpResponse,
    StreamResponse,
    body_too_large,
)
from llmops.errors import TransportError

__all__ = ["AiohttpTransport"]

_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=None, sock_read=None, sock_connect=None)


def _failure(exc: BaseException, request: HttpRequest) -> TransportError:
    # aiohttp messages may carry the URL (with any query string); never the request headers
    url = request.url
    detail = str(exc).replace(url, url.partition("?")[0]) or type(exc).__name__
    return TransportError(f"{type(exc).__name__}: {detail}")


class AiohttpTransport:
    """Send requests with aiohttp (asyncio only).

    ``limit`` caps open connections (0: unlimited), ``limit_per_host`` likewise per host;
    ``keepalive_timeout`` is how long an idle connection is kept; ``ttl_dns_cache`` how long
    a DNS answer is reused, in seconds.
    """

    def __init__(
        self,
        limit: int = 0,
        *,
        limit_per_host: int = 0,
        keepalive_timeout: float = 30.0,
        ttl_dns_cache: int = 300,
        auto_decompress: bool = True,
    ) -> None:
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._keepalive_timeout = keepalive_timeout
        self._ttl_dns_cache = ttl_dns_cache
        self._auto_decompress = auto_decompress
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()  # raises RuntimeError outside asyncio (e.g. on trio)
        if self._session is not None and not self._session.closed:
            if loop is not self._loop:
                raise RuntimeError(
                    "an AiohttpTransport is bound to the event loop that first used it"
                )
            return self._session
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=self._limit_per_host,
            ttl_dns_cache=self._ttl_dns_cache,
            keepalive_timeout=self._keepalive_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=_NO_TIMEOUT,
            auto_decompress=self._auto_decompress,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self._loop = loop
        return self._session

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        session = self._session
        if session is None or session.closed or self._loop is not asyncio.get_running_loop():
            session = self._open()
        try:
            async with session.request(
                request.method, request.url, headers=request.headers, data=request.body or None
            ) as resp:
                body = await _read_bounded(resp)
                headers = {k.lower(): v for k, v in resp.headers.items()}
                return HttpResponse(resp.status, headers, body)
        except aiohttp.ClientError as exc:
            raise _failure(exc, request) from exc

    def stream(self, request: HttpRequest) -> _AiohttpStreamContext:
        """An async context manager yielding the open streaming response."""
        return _AiohttpStreamContext(self, request)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _read_bounded(resp: aiohttp.ClientResponse) -> bytes:
    """The whole body, refused past :data:`MAX_BODY_BYTES` (as declared, or as it arrives)."""
    declared = resp.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise TransportError(body_too_large(declared))
    if declared is not None:
        return await resp.read()
    parts: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TransportError(body_too_large(size))
        parts.append(chunk)
    return b"".join(parts)


class _AiohttpStream:
    __slots__ = ("_request", "_resp", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse, request: HttpRequest) -> None:
        self._resp = resp
        self._request = request
        self.status: int = resp.status
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in resp.headers.items()}

    def iter_bytes(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except aiohttp.ClientError as exc:
            raise _failure(exc, self._request) from exc

    async def read(self) -> bytes:
        try:
            return await self._resp.read()
        except aiohttp.ClientError as exc:
            raise _failure(exc, self._request) from exc


class _AiohttpStreamContext:
    __slots__ = ("_request", "_resp", "_transport")

    def __init__(self, transport: AiohttpTransport, request: HttpRequest) -> None:
        self._transport = transport
        self._request = request
        self._resp: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> StreamResponse:
        session = self._transport._open()
        request = self._request
        try:
            self._resp = await session.request(
                request.method, request.url, headers=request.headers, data=request.body or None
            )
        except aiohttp.ClientError as exc:
            raise _failure(exc, request) from exc
        return _AiohttpStream(self._resp, request)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            self._resp.release()
