"""--notify: the JSON body reaches a webhook on loopback (a local aiohttp server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from llmops.workflows.evals.compare import compare
from llmops.workflows.evals.notify import NotifyError, notification, notify
from tests.evals.conftest import make_run

pytestmark = [pytest.mark.anyio, pytest.mark.loopback]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(status=self.status, text="ok")


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    h = Hook()
    app = web.Application()
    app.router.add_post("/hook", h.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    h.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield h
    finally:
        await runner.cleanup()


def regression_body() -> dict[str, Any]:
    before = [make_run(at=float(d), passes={f"c{i}": [True] for i in range(20)}) for d in range(3)]
    now = make_run(at=10.0, passes={f"c{i}": [i >= 10] for i in range(20)}, model="m-2")
    return notification(now, compare(now, before))


async def test_webhook_receives_a_slack_compatible_text(hook: Hook) -> None:
    await notify(hook.url, regression_body())
    text = hook.bodies[0]["text"]
    assert text.startswith("llmops eval s: REGRESSION") and "model changed: m-1 → m-2" in text


async def test_webhook_body_carries_the_figures(hook: Hook) -> None:
    await notify(hook.url, regression_body())
    body = hook.bodies[0]
    assert (body["status"], body["cause"], body["pass_rate"]) == ("REGRESSION", "model", 0.5)


async def test_a_webhook_error_status_raises(hook: Hook) -> None:
    hook.status = 500
    with pytest.raises(NotifyError, match="HTTP 500"):
        await notify(hook.url, {"text": "x"})
