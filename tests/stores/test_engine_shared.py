"""Engines sharing state through Redis, as instances of one service would; and isolation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from llmops import Engine
from llmops.config import LlmopsConfig
from llmops.errors import CircuitOpen, ConfigError, DeadlineExceeded
from tests.engine.conftest import Upstream, make_config, ok_body
from tests.stores.conftest import delete_keys

pytestmark = [pytest.mark.anyio, pytest.mark.services]

MSG = [{"role": "user", "content": "hi"}]


async def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=ok_body())


def shared_config(url: str, prefix: str, **overrides: Any) -> LlmopsConfig:
    return make_config(
        state={"backend": "redis", "url": url, "key_prefix": prefix},
        features={"f": {"fallback": {"strategy": "default", "value": "later"}}},
        **overrides,
    )


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    name = f"llmops-test-{uuid.uuid4().hex[:12]}"
    yield name
    await delete_keys(redis_url, name)


async def test_opening_the_circuit_on_one_instance_opens_it_on_every_instance(
    redis_url: str, prefix: str
) -> None:
    cfg = shared_config(redis_url, prefix, breaker={"enabled": True})
    up = Upstream(_ok)
    async with (
        Engine(cfg, transport=up.transport()) as a,
        Engine(cfg, transport=up.transport()) as b,
    ):
        await a.open_circuit()
        refused = await b.call(MSG, feature="f")
        assert refused.outcome == "degraded:default" and isinstance(refused.error, CircuitOpen)
        await b.close_circuit()
        assert (await a.call(MSG, feature="f")).ok


async def test_an_isolated_engine_keeps_its_own_breaker(redis_url: str, prefix: str) -> None:
    cfg = shared_config(redis_url, prefix, breaker={"enabled": True})
    up = Upstream(_ok)
    async with (
        Engine(cfg, transport=up.transport()) as fleet,
        Engine(cfg, transport=up.transport(), isolate_state=True) as drill,
    ):
        await drill.open_circuit()  # a drill opens its own breaker ...
        assert (await fleet.call(MSG, feature="f")).ok  # ... never the fleet's
        await fleet.open_circuit()
        await drill.close_circuit()
        assert (await drill.call(MSG, feature="f")).ok
        await fleet.close_circuit()


async def test_instances_share_one_rate_limit(redis_url: str, prefix: str) -> None:
    cfg = shared_config(
        redis_url, prefix, limits={"requests_per_minute": 6, "burst": 10, "timeout_s": 0.5}
    )  # one request at once, the next in 10 s
    up = Upstream(_ok)
    async with (
        Engine(cfg, transport=up.transport()) as a,
        Engine(cfg, transport=up.transport()) as b,
    ):
        assert (await a.call(MSG, feature="f")).ok
        waited = await b.call(MSG, feature="f")
        assert isinstance(waited.error, DeadlineExceeded)
        assert "rate limit" in str(waited.error)
    assert len(up.requests) == 1


async def test_an_unreachable_state_url_stops_the_engine_at_start() -> None:
    cfg = shared_config("redis://:hunter2@127.0.0.1:1/0", "x")
    with pytest.raises(ConfigError, match=r"^state\.url: .*\*\*\*@127\.0\.0\.1:1/0"):
        async with Engine(cfg, transport=Upstream(_ok).transport()):
            pass


@pytest.fixture
def unreachable_config(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "llmops.yaml"
    path.write_text(
        "providers:\n  main: {kind: openai, base_url: 'http://127.0.0.1:9/v1', model: m}\n"
        "state: {backend: redis, url: 'redis://:hunter2@127.0.0.1:1/0'}\n"
    )
    yield path


def test_cli_shared_state_with_an_unreachable_url_is_one_line_and_exit_2(
    unreachable_config: Path, tmp_path: Path
) -> None:
    from llmops.cli import app

    args = ["loadtest", "--config", str(unreachable_config), "--levels", "1", "--requests", "1"]
    args += ["--shared-state", "--report-dir", str(tmp_path / "r")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if "error" in line]
    assert len(errors) == 1 and "state.url" in errors[0] and "hunter2" not in result.output
