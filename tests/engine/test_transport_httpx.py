"""The httpx adapter, over httpx.MockTransport, on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from llmops.engine.transport import HttpRequest
from llmops.engine.transport_httpx import HttpxTransport
from llmops.errors import TransportError

pytestmark = pytest.mark.anyio
URL = "http://127.0.0.1:9/v1/x"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def transport(handler: Callable[[httpx.Request], httpx.Response]) -> HttpxTransport:
    return HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(handler)))


class Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes, fail: bool = False) -> None:
        self.chunks = chunks
        self.fail = fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.fail:
            raise httpx.ReadError("connection reset")


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def test_send_returns_status_headers_and_body() -> None:
    t = transport(lambda _: httpx.Response(201, headers={"X-Thing": "1"}, content=b"ok"))
    resp = await t.send(HttpRequest("GET", URL, {}))
    assert (resp.status, resp.headers["x-thing"], resp.body) == (201, "1", b"ok")


async def test_send_passes_method_headers_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    await transport(handler).send(HttpRequest("POST", URL, {"x-a": "b"}, b"{}"))
    assert (seen[0].method, seen[0].headers["x-a"], seen[0].content) == ("POST", "b", b"{}")


async def test_stream_yields_chunks_in_order() -> None:
    t = transport(lambda _: httpx.Response(200, stream=Chunks(b"a", b"b", b"c")))
    async with t.stream(HttpRequest("GET", URL, {})) as resp:
        assert [c async for c in resp.iter_bytes()] == [b"a", b"b", b"c"]


async def test_stream_read_returns_body() -> None:
    t = transport(lambda _: httpx.Response(429, content=b"slow down"))
    async with t.stream(HttpRequest("GET", URL, {})) as resp:
        assert (resp.status, await resp.read()) == (429, b"slow down")


async def test_connect_error_is_transport_error() -> None:
    with pytest.raises(TransportError):
        await transport(refuse).send(HttpRequest("GET", URL, {}))


async def test_stream_connect_error_is_transport_error() -> None:
    with pytest.raises(TransportError):
        async with transport(refuse).stream(HttpRequest("GET", URL, {})):
            pass


async def test_read_error_mid_stream_is_transport_error() -> None:
    t = transport(lambda _: httpx.Response(200, stream=Chunks(b"a", fail=True)))
    with pytest.raises(TransportError):
        async with t.stream(HttpRequest("GET", URL, {})) as resp:
            async for _ in resp.iter_bytes():
                pass


async def test_aclose_leaves_a_given_client_open() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    await HttpxTransport(client).aclose()
    assert not client.is_closed


async def test_aclose_closes_its_own_client() -> None:
    t = HttpxTransport()
    await t.aclose()
    assert t._client.is_closed
