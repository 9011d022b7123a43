"""The load-shedding ASGI middleware over a plain ASGI app, through httpx's ASGITransport."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from trio.testing import MockClock

from llmops.shedding import LoadShedder

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class HeldApp:
    """A plain ASGI app whose requests wait until ``release`` is set."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.entered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        self.entered += 1
        if scope["path"] != "/health":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def fire(shedder: LoadShedder, n: int, app: HeldApp, path: str = "/") -> list[httpx.Response]:
    """Send ``n`` requests at once; release the app once every request has been seen."""
    responses: list[httpx.Response] = []
    transport = httpx.ASGITransport(app=shedder)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:

        async def one() -> None:
            responses.append(await client.get(path))

        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(one)
            await anyio.sleep(1)  # virtual time: every request is in flight, queued or answered
            app.release.set()
    return responses


async def test_beyond_in_flight_plus_queue_requests_get_429_with_retry_after() -> None:
    app = HeldApp()
    shedder = LoadShedder(app, max_in_flight=2, queue_limit=3)
    responses = await fire(shedder, 8, app)
    ok = [r for r in responses if r.status_code == 200]
    shed = [r for r in responses if r.status_code == 429]
    assert (len(ok), len(shed)) == (5, 3)
    assert app.entered == 5  # the shed requests never reached the app
    for r in shed:
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/json"
        error = r.json()["error"]
        assert error["type"] == "overloaded" and error["retry_after_s"] >= 1
    stats = shedder.stats
    assert (stats.admitted, stats.shed_queue_full, stats.in_flight, stats.waiting) == (5, 3, 0, 0)


async def test_a_request_waiting_longer_than_max_wait_is_shed() -> None:
    app = HeldApp()
    shedder = LoadShedder(app, max_in_flight=1, queue_limit=5, max_wait_s=0.5)
    responses = await fire(shedder, 3, app)
    assert sorted(r.status_code for r in responses) == [200, 429, 429]
    assert {r.json()["error"]["type"] for r in responses if r.status_code == 429} == {
        "queue_timeout"
    }
    assert shedder.stats.shed_waited_too_long == 2


async def test_exempt_paths_and_other_scopes_pass_through() -> None:
    app = HeldApp()
    shedder = LoadShedder(app, max_in_flight=1, queue_limit=0, exempt_paths=["/health"])
    responses = await fire(shedder, 4, app, path="/health")
    assert [r.status_code for r in responses] == [200] * 4
    assert shedder.stats.admitted == 0

    seen: list[str] = []

    async def lifespan_app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await LoadShedder(lifespan_app, max_in_flight=1)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        LoadShedder(HeldApp(), max_in_flight=0)
