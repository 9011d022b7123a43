"""Choosing a transport adapter for the running async library."""

from __future__ import annotations

import asyncio

from llmops.engine.transport import Transport

__all__ = ["default_transport"]


def default_transport(limit: int = 0) -> Transport:
    """The fast transport for the running event loop: aiohttp on asyncio, httpx otherwise (trio).

    Call it inside the event loop that will use the transport (outside any loop it assumes
    asyncio). ``limit`` caps open connections (0: unlimited); it applies to the aiohttp adapter.
    """
    if _on_asyncio():
        from llmops.engine.transport_aiohttp import AiohttpTransport

        return AiohttpTransport(limit=limit)
    from llmops.engine.transport_httpx import HttpxTransport

    return HttpxTransport()


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # no asyncio loop: either no loop at all (assume asyncio will run) or another library
        try:
            import trio
        except ImportError:
            return True
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            return True
        return False
    return True
