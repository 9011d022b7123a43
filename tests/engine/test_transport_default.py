"""default_transport() picks aiohttp on asyncio and httpx on trio."""

from __future__ import annotations

import pytest

from llmops.engine.default_transport import default_transport
from llmops.engine.transport_aiohttp import AiohttpTransport
from llmops.engine.transport_httpx import HttpxTransport

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_gets_aiohttp() -> None:
    t = default_transport()
    assert isinstance(t, AiohttpTransport)
    await t.aclose()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_gets_httpx() -> None:
    t = default_transport()
    assert isinstance(t, HttpxTransport)
    await t.aclose()
