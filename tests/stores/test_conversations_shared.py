"""Two OS processes, one Redis: a user's turn 2 on another instance sees turn 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmops import Engine, config_from_dict
from tests.engine.conftest import Upstream, ok_body
from tests.queue.helpers import redis_prefix

pytestmark = pytest.mark.anyio

INSTANCE_A = """
import json, sys, anyio
from llmops import Engine, config_from_dict
from llmops.mock import MockTransport

async def main() -> None:
    cfg = config_from_dict(json.loads(sys.argv[1]))
    async with Engine(cfg, transport=MockTransport("default")) as engine:
        result = await engine.call(
            [{"role": "user", "content": "my name is Ada"}], feature="chat", conversation_id="u42"
        )
    print(json.dumps(result.text))

anyio.run(main)
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def config(url: str, prefix: str) -> dict[str, Any]:
    return {
        "providers": {
            "main": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "mock-1"}
        },
        "state": {"backend": "redis", "url": url, "key_prefix": prefix},
        "features": {"chat": {"conversation": {"token_budget": 3000, "ttl": "10m"}}},
    }


def run_instance_a(data: dict[str, Any]) -> str:
    """Turn 1 of conversation u42 in another OS process; the answer it got."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", INSTANCE_A, json.dumps(data)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return str(json.loads(done.stdout))


async def test_turn_two_on_another_process_sees_turn_one(redis_url: str) -> None:
    with redis_prefix(redis_url) as prefix:
        data = config(redis_url, prefix)
        first_answer = run_instance_a(data)

        async def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=ok_body("nice to meet you again"))

        up = Upstream(handler)
        async with Engine(config_from_dict(data), transport=up.transport()) as engine:
            await engine.call(
                [{"role": "user", "content": "what is my name?"}],
                feature="chat",
                conversation_id="u42",
            )
            stored = await engine.conversations.store.last("u42", 10)
    assert [(m["role"], m["content"]) for m in up.requests[0]["messages"]] == [
        ("user", "my name is Ada"),
        ("assistant", first_answer),
        ("user", "what is my name?"),
    ]
    assert [t.content for t in stored][-1] == "nice to meet you again"
