"""Fixtures for the runtime-state stores: each contract test runs in process and on real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmops.config import StateConfig
from llmops.stores.redis_state import RuntimeState, SharedRuntimeState, open_runtime_state


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis.asyncio runs on asyncio only


class FixedNow:
    """A clock that stands still unless moved: in process, time passes only when a test says."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def key_prefix() -> str:
    return f"llmops-test-{uuid.uuid4().hex[:12]}"


async def shared_state(url: str, prefix: str, **state: Any) -> SharedRuntimeState:
    """A runtime state on Redis under ``prefix`` (its own client, as another instance would)."""
    import time

    cfg = StateConfig(backend="redis", url=url, key_prefix=prefix, **state)
    opened = await open_runtime_state(cfg, time.monotonic)
    assert isinstance(opened, SharedRuntimeState)
    return opened


async def delete_keys(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest, key_prefix: str) -> AsyncIterator[RuntimeState]:
    """The same contract, in process (a still clock) and on the real Redis."""
    if request.param == "memory":
        yield RuntimeState(FixedNow())
        return
    url: str = request.getfixturevalue("redis_url")
    opened = await shared_state(url, key_prefix)
    try:
        yield opened
    finally:
        await opened.aclose()
        await delete_keys(url, key_prefix)
