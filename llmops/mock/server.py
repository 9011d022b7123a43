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


_CHAT_PATHS = frozenset(("/v1/chat/completions", "/v1/messages"))


def build_handler(mock: MockApp) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    """The request handler for aiohttp's low-level server: every request goes to ``mock``.

    The low-level server skips the router and middlewares, which the mock does not need; the
    chat paths take a lean branch, the rest (models, control endpoints) checks for loopback.
    Request bodies are limited to aiohttp's default 1 MiB.
    """

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        loop = asyncio.get_running_loop()
        now = loop.time()
        path = request.path
        if path in _CHAT_PATHS:
            plan = mock.handle(request.method, path, request.headers, body, now)
        else:
            loopback = _is_loopback(request.remote)
            plan = mock.handle(
                request.method, request.path_qs, request.headers, body, now, loopback=loopback
            )
        if plan.head_delay <= 0.0 and plan.chunks is None and not plan.reset:
            return web.Response(status=plan.status, body=plan.body, headers=plan.headers)
        return await _carry_out(mock, request, plan, now, loop)

    return handle


async def _carry_out(
    mock: MockApp,
    request: web.BaseRequest,
    plan: Plan,
    start: float,
    loop: asyncio.AbstractEventLoop,
) -> web.StreamResponse:
    mock.stats.enter()
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
        self._runner: web.ServerRunner | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving; ``port`` is then the bound port."""
        server = web.Server(build_handler(self.app), access_log=None)
        runner = web.ServerRunner(server, handle_signals=False)
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


async def _serve_until_stopped(server: MockServer, ready: Callable[[str], None]) -> int | None:
    await server.start()
    # everything alive now (imports, the profile) lives as long as the process: keep it out of
    # the cyclic GC's full collections, which otherwise cost a few µs per request on the hot path
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def on_signal(sig: int) -> None:
        stopped_by.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, int(sig))
    ready(server.url)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return stopped_by[0] if stopped_by else None


def serve(
    profile: MockProfile | str | Path = "default",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: int = 0,
    ready: Callable[[str], None] = print,
) -> int | None:
    """Run the mock server until SIGINT/SIGTERM; ``ready(url)`` is called once it listens.

    Returns the number of the signal that stopped it, once every connection is closed.

    Raises :class:`~llmops.errors.ConfigError` for a bad profile before binding.
    """
    server = MockServer(profile, seed=seed, host=host, port=port)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_serve_until_stopped(server, ready))
    return uvloop.run(_serve_until_stopped(server, ready))
