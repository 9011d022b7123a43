"""Redis stopped mid-run and restarted: the configured behaviour, then recovery by itself.

These tests start a redis-server of their own on a free loopback port (never the shared one), stop
it and start it again on the same port.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

from llmops.config import BreakerConfig, LimitsConfig, StateConfig
from llmops.errors import ConfigError
from llmops.stores.redis_state import SharedRuntimeState, open_runtime_state
from tests.stores.conftest import shared_state

pytestmark = [pytest.mark.anyio, pytest.mark.services]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class OwnRedis:
    """A redis-server on its own port that a test may stop and start again."""

    def __init__(self, binary: str, workdir: str) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self._cmd += ["--appendonly", "no", "--dir", workdir]
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            self._cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(200):  # wait for the server to accept connections (not test logic)
            if _answers(self.port):
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with tempfile.TemporaryDirectory(prefix="llmops-outage-") as tmp:
        server = OwnRedis(binary, tmp)
        server.start()
        try:
            yield server
        finally:
            server.stop()


async def _until_back(state: SharedRuntimeState) -> None:
    import anyio

    state.link.retry_s = 0.05
    await anyio.sleep(0.1)  # past the retry interval: the next command tries Redis again


LIMITS = LimitsConfig(requests_per_minute=240, burst=5)  # the fleet: 20 at once


async def test_local_share_admits_this_instance_its_share_then_recovers(
    own_redis: OwnRedis,
) -> None:
    state = await shared_state(own_redis.url, "outage", instances=4)
    limiter = state.limiter("up", LIMITS)
    assert await limiter.acquire(1) == 0.0
    own_redis.stop()
    # a quarter of the limit: 5 at once, never the fleet's 20
    assert [await limiter.acquire(1) for _ in range(5)] == [0.0] * 5
    assert await limiter.acquire(1) > 0
    assert "local share" in limiter.waiting_on
    own_redis.start()
    await _until_back(state)
    assert [await limiter.acquire(1) for _ in range(10)] == [0.0] * 10  # the shared bucket
    assert not state.link.down and limiter.waiting_on == "rate limit"
    await state.aclose()


async def test_fail_closed_admits_nothing_then_recovers(own_redis: OwnRedis) -> None:
    state = await shared_state(own_redis.url, "outage", on_state_error="fail_closed")
    limiter = state.limiter("up", LIMITS)
    own_redis.stop()
    assert await limiter.acquire(1) > 0
    assert "fail_closed" in limiter.waiting_on and own_redis.url in limiter.waiting_on
    own_redis.start()
    await _until_back(state)
    assert await limiter.acquire(1) == 0.0
    await state.aclose()


async def test_the_breaker_decides_locally_while_redis_is_down_then_shares_again(
    own_redis: OwnRedis,
) -> None:
    cfg = BreakerConfig(minimum_calls=2, failure_rate_threshold=0.5)
    state = await shared_state(own_redis.url, "outage")
    other = await shared_state(own_redis.url, "outage")
    breaker = state.breaker("up", cfg, probe_lease_s=60)
    own_redis.stop()
    for _ in range(2):
        permit = await breaker.allow()
        assert permit.allowed
        await breaker.record(permit, False, 0.01)
    assert not (await breaker.allow()).allowed  # its own breaker opened
    own_redis.start()
    await _until_back(state)
    await _until_back(other)
    await breaker.force_open()
    assert not (await other.breaker("up", cfg, probe_lease_s=60).allow()).allowed
    await state.aclose()
    await other.aclose()


async def test_an_unreachable_url_is_one_line_naming_the_key_without_the_password() -> None:
    url = f"redis://:hunter2@127.0.0.1:{_free_port()}/0"
    with pytest.raises(ConfigError) as info:
        await open_runtime_state(StateConfig(backend="redis", url=url), time.monotonic)
    message = str(info.value)
    assert message.startswith("state.url: ") and "\n" not in message
    assert "hunter2" not in message and "127.0.0.1" in message


async def test_a_wrong_url_is_one_line_too(own_redis: OwnRedis) -> None:
    url = own_redis.url.replace("redis://", "redis://:hunter2@").replace("/0", "/99")
    with pytest.raises(ConfigError) as info:
        await open_runtime_state(StateConfig(backend="redis", url=url), time.monotonic)
    message = str(info.value)
    assert message.startswith("state.url: ") and "hunter2" not in message


async def test_isolated_state_never_reaches_redis() -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens: isolation must not care
    state = await open_runtime_state(
        StateConfig(backend="redis", url=url), time.monotonic, isolate=True
    )
    assert not isinstance(state, SharedRuntimeState)


async def test_an_engine_failing_closed_answers_with_its_fallback_then_recovers(
    own_redis: OwnRedis,
) -> None:
    import httpx

    from llmops import Engine
    from tests.engine.conftest import Upstream, make_config, ok_body

    async def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body())

    cfg = make_config(
        state={"backend": "redis", "url": own_redis.url, "on_state_error": "fail_closed"},
        limits={"requests_per_minute": 600, "timeout_s": 0.3},
        features={"f": {"fallback": {"strategy": "default", "value": "later"}}},
    )
    up = Upstream(ok)
    async with Engine(cfg, transport=up.transport()) as engine:
        assert (await engine.call([{"role": "user", "content": "hi"}], feature="f")).ok
        own_redis.stop()
        down = await engine.call([{"role": "user", "content": "hi"}], feature="f")
        assert down.outcome == "degraded:default" and "fail_closed" in str(down.error)
        own_redis.start()
        state = engine._state
        assert isinstance(state, SharedRuntimeState)
        await _until_back(state)
        assert (await engine.call([{"role": "user", "content": "hi"}], feature="f")).ok
    assert len(up.requests) == 2
