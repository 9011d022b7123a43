"""The aiohttp adapter against a real aiohttp server on 127.0.0.1 (asyncio only)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import anyio
import pytest
from aiohttp import web

from llmops.engine.transport import HttpRequest
from llmops.engine.transport_aiohttp import AiohttpTransport
from llmops.errors import TransportError

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]
SECRET = "Bearer sk-SECRET-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Server:
    def __init__(self) -> None:
        self.base = ""
        self.first_chunk_seen = asyncio.Event()

    async def hello(self, request: web.Request) -> web.Response:
        return web.Response(text="hi", headers={"X-Custom-Header": "Value"})

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(
            body=body, headers={"x-auth-seen": request.headers.get("Authorization", "")}
        )

    async def status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def peer(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        return web.Response(text=str(request.transport.get_extra_info("peername")[1]))

    async def stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"one")
        await self.first_chunk_seen.wait()  # only a streaming client gets past this
        await resp.write(b"two")
        await resp.write_eof()
        return resp

    async def cut(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"partial")
        assert request.transport is not None
        request.transport.close()
        return resp


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    app = web.Application()
    app.router.add_get("/hello", srv.hello)
    app.router.add_post("/echo", srv.echo)
    app.router.add_get("/status/{code}", srv.status)
    app.router.add_get("/peer", srv.peer)
    app.router.add_get("/stream", srv.stream)
    app.router.add_get("/cut", srv.cut)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.base = f"http://127.0.0.1:{port}"
    yield srv
    srv.first_chunk_seen.set()
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    t = AiohttpTransport(limit=10)
    yield t
    await t.aclose()


def get(url: str) -> HttpRequest:
    return HttpRequest("GET", url, {})


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


async def test_send_returns_status_and_body(server: Server, transport: AiohttpTransport) -> None:
    resp = await transport.send(get(f"{server.base}/hello"))
    assert (resp.status, resp.body) == (200, b"hi")


async def test_response_header_names_are_lower_case(
    server: Server, transport: AiohttpTransport
) -> None:
    resp = await transport.send(get(f"{server.base}/hello"))
    assert resp.headers["x-custom-header"] == "Value"


async def test_send_posts_body_and_headers(server: Server, transport: AiohttpTransport) -> None:
    req = HttpRequest("POST", f"{server.base}/echo", {"authorization": SECRET}, b'{"a":1}')
    resp = await transport.send(req)
    assert (resp.body, resp.headers["x-auth-seen"]) == (b'{"a":1}', SECRET)


async def test_error_status_is_returned_not_raised(
    server: Server, transport: AiohttpTransport
) -> None:
    assert (await transport.send(get(f"{server.base}/status/503"))).status == 503


async def test_stream_delivers_chunks_as_they_arrive(
    server: Server, transport: AiohttpTransport
) -> None:
    received = b""
    with anyio.fail_after(10):  # a safety net against a buffering client, not a timing check
        async with transport.stream(get(f"{server.base}/stream")) as resp:
            async for chunk in resp.iter_bytes():
                received += chunk
                if received == b"one":
                    server.first_chunk_seen.set()
    assert received == b"onetwo"


async def test_stream_headers_are_lower_case(server: Server, transport: AiohttpTransport) -> None:
    server.first_chunk_seen.set()
    async with transport.stream(get(f"{server.base}/stream")) as resp:
        assert (resp.status, resp.headers["content-type"]) == (200, "text/event-stream")


async def test_stream_read_returns_whole_body(server: Server, transport: AiohttpTransport) -> None:
    async with transport.stream(get(f"{server.base}/status/429")) as resp:
        assert (resp.status, await resp.read()) == (429, b"nope")


async def test_connection_refused_is_transport_error(transport: AiohttpTransport) -> None:
    with pytest.raises(TransportError):
        await transport.send(get(refused_url()))


async def test_stream_connection_refused_is_transport_error(transport: AiohttpTransport) -> None:
    with pytest.raises(TransportError):
        async with transport.stream(get(refused_url())):
            pass


async def test_transport_error_never_echoes_request_headers(transport: AiohttpTransport) -> None:
    req = HttpRequest("POST", refused_url(), {"authorization": SECRET}, b"{}")
    with pytest.raises(TransportError) as info:
        await transport.send(req)
    assert "SECRET" not in str(info.value)


async def test_body_cut_mid_stream_is_transport_error(
    server: Server, transport: AiohttpTransport
) -> None:
    with pytest.raises(TransportError):
        async with transport.stream(get(f"{server.base}/cut")) as resp:
            async for _ in resp.iter_bytes():
                pass


async def test_keepalive_reuses_one_connection(server: Server, transport: AiohttpTransport) -> None:
    ports = {(await transport.send(get(f"{server.base}/peer"))).body for _ in range(3)}
    assert len(ports) == 1


def test_construction_needs_no_event_loop() -> None:
    assert AiohttpTransport()._session is None
