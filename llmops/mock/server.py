"""The loopback HTTP server: aiohttp carrying out the handler's plans on the event loop's clock.

:class:`MockServer` runs it inside the current asyncio loop (tests, embedding);
:func:`serve` runs it as the main program (``llmops mock serve``, ``python -m llmops.mock``),
with uvloop when it is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import signal
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

from aiohttp import web

from llmops.mock.handler import MockApp, Plan
from llmops.mock.profile import MockProfile

_LOOPBACK_CACHE: dict[str, bool] = {}


def _is_loopback(remote: str | None) -> bool:
    if remote is None:
        return False
    known = _LOOPBACK_CACHE.get(remote)
    if known is None:
        try:
            known = ipaddress.ip_address(remote).is_loopback
        except ValueError:
            known = False
        if len(_LOOPBACK_CACHE) < 1024:
            _LOOPBACK_CACHE[remote] = known
    return known


def _abort(request: web.BaseRequest) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a crashed upstream would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
    transport.abort()


def build_web_app(mock: MockApp) -> web.Application:
    """An aiohttp application answering every path through ``mock``.

    The two chat paths get plain routes (aiohttp resolves those with a dict lookup) and a lean
    handler; everything else goes through a catch-all that also checks for loopback clients.
    """

    def chat_route(path: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def chat(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            loop = asyncio.get_running_loop()
            now = loop.time()
            plan = mock.handle("POST", path, request.headers, body, now)
            if plan.head_delay <= 0.0 and plan.chunks is None and not plan.reset:
                return web.Response(status=plan.status, body=plan.body, headers=plan.headers)
            return await _carry_out(mock, request, plan, now, loop)

        return chat

    async def other(request: web.Request) -> web.StreamResponse:
        body = await request.read() if request.body_exists else b""
        loop = asyncio.get_running_loop()
        now = loop.time()
        loopback = _is_loopback(request.remote)
        plan = mock.handle(
            request.method, request.path_qs, request.headers, body, now, loopback=loopback
        )
        return await _carry_out(mock, request, plan, now, loop)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    for path in ("/v1/chat/completions", "/v1/messages"):
        app.router.add_post(path, chat_route(path))
    app.router.add_route("*", "/{tail:.*}", other)
    return app


async def _carry_out(
    mock: MockApp, request: web.Request, plan: Plan, start: float, loop: asyncio.AbstractEventLoop
) -> web.StreamResponse:
    mock.stats.in_flight += 1
    try:
        due = start + plan.head_delay
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        if plan.chunks is None:
            if plan.reset:
                _abort(request)
                raise asyncio.CancelledError  # nothing more to send on a dropped connection
            return web.Response(status=plan.status, body=plan.body, headers=plan.headers)
        response = web.StreamResponse(status=plan.status, headers=plan.headers)
        with contextlib.suppress(ConnectionError):  # the client went away mid-stream
            await response.prepare(request)
            await _write_chunks(response, plan.chunks, due, loop, plan.paced)
            if plan.reset:
                _abort(request)
                raise asyncio.CancelledError
            await response.write_eof()
        return response
    finally:
        mock.stats.in_flight -= 1


async def _write_chunks(
    response: web.StreamResponse,
    chunks: list[tuple[float, bytes]],
    due: float,
    loop: asyncio.AbstractEventLoop,
    paced: bool,
) -> None:
    if not paced:  # no delays at all: one write
        await response.write(b"".join([chunk for _, chunk in chunks]))
        return
    pending: list[bytes] = []  # chunks due at the same moment go out in one write
    for delay, chunk in chunks:
        due += delay
        if due > loop.time():
            if pending:
                await response.write(b"".join(pending))
                pending.clear()
            await asyncio.sleep(due - loop.time())
        pending.append(chunk)
    if pending:
        await response.write(b"".join(pending))


class MockServer:
    """The mock on a loopback port inside the running asyncio loop.

    ``async with MockServer("flaky", seed=1) as server:`` then point a client at
    ``server.url`` (``http://127.0.0.1:PORT``; OpenAI SDKs want ``server.url + "/v1"``).
    ``port=0`` picks a free port.
    """

    def __init__(
        self,
        profile: MockProfile | str | Path = "default",
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = MockApp(profile, seed=seed)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving; ``port`` is then the bound port."""
        runner = web.AppRunner(build_web_app(self.app), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, backlog=1024, reuse_address=True)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.app.start(asyncio.get_running_loop().time())

    async def stop(self) -> None:
        """Stop serving and close connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def _serve_until_stopped(server: MockServer, ready: Callable[[str], None]) -> None:
    await server.start()
    # everything alive now (imports, the profile) lives as long as the process: keep it out of
    # the cyclic GC's full collections, which otherwise cost a few µs per request on the hot path
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ready(server.url)
    try:
        await stop.wait()
    finally:
        await server.stop()


def serve(
    profile: MockProfile | str | Path = "default",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: int = 0,
    ready: Callable[[str], None] = print,
) -> None:
    """Run the mock server until SIGINT/SIGTERM; ``ready(url)`` is called once it listens.

    Raises :class:`~llmops.errors.ConfigError` for a bad profile before binding.
    """
    server = MockServer(profile, seed=seed, host=host, port=port)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve_until_stopped(server, ready))
    else:
        uvloop.run(_serve_until_stopped(server, ready))
