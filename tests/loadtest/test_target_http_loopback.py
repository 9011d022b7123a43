"""``llmops loadtest --target-http`` as a user runs it, against a small service of planted
capacity on 127.0.0.1 (aiohttp's web server, in a thread): the knee, the reports, and the
header's secret nowhere in the output."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

pytestmark = pytest.mark.loopback

CAPACITY = 2
SERVICE_S = 0.15
TOKEN = "loopback-secret-token-5150"


def _app() -> web.Application:
    slots = asyncio.Semaphore(CAPACITY)

    async def summarize(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        prompt = (await request.json())["prompt"]
        async with slots:
            await asyncio.sleep(SERVICE_S)
        return web.json_response({"summary": prompt[:16]})

    app = web.Application()
    app.router.add_post("/summarize", summarize)
    return app


@pytest.fixture
def service() -> Iterator[str]:
    """The service's URL; it runs on its own event loop in a thread for the test."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_app())

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        return int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{port}/summarize"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_a_ladder_over_a_loopback_service_finds_its_knee_and_reports_it(
    service: str, tmp_path: Path
) -> None:
    args = ["--target-http", service, "--http-header", "Authorization: Bearer ${SERVICE_TOKEN}"]
    args += ["--http-expect", "summary", "--levels", f"{CAPACITY},{2 * CAPACITY}"]
    args += ["--requests", "16", "--timeout", "10s", "--yes"]
    proc = subprocess.run(
        [sys.executable, "-m", "llmops", "loadtest", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "SERVICE_TOKEN": TOKEN, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    assert report["target"] == f"http POST {service}" and report["target_kind"] == "http"
    assert [lv["success_rate"] for lv in report["levels"]] == [1.0, 1.0]
    # past the planted capacity the service queues: the knee is the first level above it
    assert report["knee"] is not None and report["knee"]["load"] == 2 * CAPACITY
    written = [p.read_text() for p in (tmp_path / "reports").iterdir() if p.is_file()]
    for text in (proc.stdout, proc.stderr, *written):
        assert TOKEN not in text
