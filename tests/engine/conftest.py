"""Engine tests run on trio's virtual clock against scripted upstreams (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.lowlevel
import httpx
import pytest
from trio.testing import MockClock

from llmops.config import LlmopsConfig, config_from_dict
from llmops.engine.transport_httpx import HttpxTransport

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    # autojump: virtual time leaps forward whenever every task is blocked
    return ("trio", {"clock": MockClock(autojump_threshold=0)})


def make_config(**overrides: Any) -> LlmopsConfig:
    data: dict[str, Any] = {
        "providers": {
            "main": {
                "kind": "openai",
                "base_url": "http://127.0.0.1:9/v1",
                "model": "mock-1",
                "api_key_env": "LLMOPS_TEST_KEY",
            }
        },
        "retry": {"max_attempts": 4, "backoff_base_s": 0.1, "backoff_cap_s": 1.0},
        "breaker": {"enabled": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return config_from_dict(data)


def ok_body(text: str = "hello", model: str = "mock-1-2026-01") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def error_response(
    status: int, type_: str, code: str | None = None, **headers: str
) -> httpx.Response:
    body = {"error": {"message": f"{type_} happened", "type": type_, "code": code}}
    return httpx.Response(status, json=body, headers=headers)


class Upstream:
    """A scripted upstream: counts requests and answers from a handler."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content))
        return await self.handler(request)

    def transport(self) -> HttpxTransport:
        return HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(self)))


async def settle(done: Callable[[], bool], rounds: int = 1000) -> bool:
    """Let other tasks run (scheduling rounds, no clock) until ``done()``; return ``done()``."""
    for _ in range(rounds):
        if done():
            return True
        await anyio.lowlevel.checkpoint()
    return done()
