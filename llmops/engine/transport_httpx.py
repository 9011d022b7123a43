"""The httpx adapter of the transport seam: the client API users know, on asyncio or trio.

Tests put an ``httpx.MockTransport`` behind it. For the load generator's hot path prefer
:class:`llmops.engine.transport_aiohttp.AiohttpTransport` (httpx's default pool is far slower
under concurrency; see DESIGN).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import TracebackType

import httpx

from llmops.engine.transport import (
    MAX_BODY_BYTES,
    HttpRequest,
    HttpResponse,
    StreamResponse,
    body_too_large,
)
from llmops.errors import TransportError

__all__ = ["HttpxTransport"]

# what httpx raises when the connection, not the server's answer, failed
_HTTPX_FAILURES = (httpx.TransportError, httpx.DecodingError)


def _failure(exc: Exception) -> TransportError:
    # httpx messages name the failure, never the request headers
    detail = str(exc) or type(exc).__name__
    return TransportError(f"{type(exc).__name__}: {detail}")


class HttpxTransport:
    """Send requests with an ``httpx.AsyncClient``.

    Without a ``client`` one is made with no timeout (the engine imposes deadlines by
    cancellation) and no connection cap; :meth:`aclose` closes only a client made here.
    """

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=None,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
        )

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response."""
        req = self._client.build_request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        try:
            resp = await self._client.send(req, stream=True)
            try:
                body = await _read_bounded(resp)
            finally:
                await resp.aclose()
        except _HTTPX_FAILURES as exc:
            raise _failure(exc) from exc
        return HttpResponse(resp.status_code, dict(resp.headers.items()), body)

    def stream(self, request: HttpRequest) -> _HttpxStreamContext:
        """An async context manager yielding the open streaming response."""
        return _HttpxStreamContext(self._client, request)

    async def aclose(self) -> None:
        """Close the client if this transport made it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> HttpxTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _read_bounded(resp: httpx.Response) -> bytes:
    """The whole body, refused past :data:`MAX_BODY_BYTES` (as declared, or as it arrives)."""
    declared = resp.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise TransportError(body_too_large(int(declared)))
    parts: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TransportError(body_too_large(size))
        parts.append(chunk)
    return b"".join(parts)


class _HttpxStream:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status: int = resp.status_code
        self.headers: Mapping[str, str] = dict(resp.headers.items())

    def iter_bytes(self) -> AsyncIterator[bytes]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.aiter_raw():
                yield chunk
        except _HTTPX_FAILURES as exc:
            raise _failure(exc) from exc

    async def read(self) -> bytes:
        try:
            return await self._resp.aread()
        except _HTTPX_FAILURES as exc:
            raise _failure(exc) from exc


class _HttpxStreamContext:
    __slots__ = ("_client", "_request", "_resp")

    def __init__(self, client: httpx.AsyncClient, request: HttpRequest) -> None:
        self._client = client
        self._request = request
        self._resp: httpx.Response | None = None

    async def __aenter__(self) -> StreamResponse:
        req = self._client.build_request(
            self._request.method,
            self._request.url,
            headers=self._request.headers,
            content=self._request.body,
        )
        try:
            self._resp = await self._client.send(req, stream=True)
        except _HTTPX_FAILURES as exc:
            raise _failure(exc) from exc
        return _HttpxStream(self._resp)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            await self._resp.aclose()
