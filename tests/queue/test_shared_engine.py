"""Two engines (two instances of a service) on one real Redis: the queue one fills, the other
drains; the answer one instance got is the cached fallback of the other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmops import Engine, config_from_dict
from llmops.engine.drain import QueueDrain
from llmops.stores.state_stores import state_errors
from tests.engine.conftest import Upstream, error_response, ok_body
from tests.queue.helpers import redis_prefix

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    with redis_prefix(redis_url) as p:
        yield p


def config(redis_url: str, prefix: str) -> Any:
    return config_from_dict(
        {
            "providers": {
                "main": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
            },
            "retry": {"max_attempts": 1},
            "breaker": {"enabled": False},
            "state": {"backend": "redis", "url": redis_url, "key_prefix": prefix},
            "features": {
                "queued": {"fallback": {"strategy": "queue", "lease": "1m"}},
                "cached": {"fallback": {"strategy": "cached", "ttl": "1h"}},
                "chat": {"conversation": {"token_budget": 100}},
            },
        }
    )


def api(down: bool) -> Upstream:
    async def handler(request: httpx.Request) -> httpx.Response:
        if down:
            return error_response(503, "overloaded")
        question = up.requests[-1]["messages"][-1]["content"]
        return httpx.Response(200, json=ok_body(f"answer to {question}"))

    up = Upstream(handler)
    return up


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def test_one_instance_queues_during_an_outage_another_drains(
    redis_url: str, prefix: str
) -> None:
    cfg = config(redis_url, prefix)
    async with Engine(cfg, transport=api(down=True).transport()) as a:
        queued = [(await a.call(ask(f"q{i}"), feature="queued")).queued_id for i in range(3)]
    async with Engine(cfg, transport=api(down=False).transport()) as b:
        drained = [(d.item.id, d.result.text) async for d in QueueDrain(b, "queued")]
        status = await b.reprocess_queue("queued").status()
    assert drained == [(queued[i], f"answer to q{i}") for i in range(3)]
    assert (status.waiting, status.leased, status.dead) == (0, 0, 0)


async def test_an_answer_one_instance_got_is_served_by_another_during_an_outage(
    redis_url: str, prefix: str
) -> None:
    cfg = config(redis_url, prefix)
    async with Engine(cfg, transport=api(down=False).transport()) as a:
        first = await a.call(ask("the question"), feature="cached")
    async with Engine(cfg, transport=api(down=True).transport()) as b:
        served = await b.call(ask("the question"), feature="cached")
    assert first.outcome == "ok"
    assert (served.outcome, served.text) == ("degraded:cached", "answer to the question")


async def test_with_redis_unreachable_the_cache_is_skipped_and_fallbacks_raise_the_call_error() -> (
    None
):
    # the engine checks Redis once at start (an unreachable state.url is a ConfigError); this is
    # Redis going away afterwards: the stores see connection errors
    from llmops import Overloaded
    from llmops.config import CachedFallback, QueueFallback, StateConfig
    from llmops.engine.fallbacks import Fallbacks
    from llmops.stores.state_stores import StateStores

    stores = StateStores(StateConfig(backend="redis", url="redis://127.0.0.1:1/0"))
    fallbacks = Fallbacks(stores)
    cached = CachedFallback(strategy="cached")
    queued = QueueFallback(strategy="queue")
    err = Overloaded("overloaded", status=529)
    await fallbacks.remember("f", cached, ask("q"), "an answer")  # skipped quietly
    for fallback in (cached, queued):
        with pytest.raises(Overloaded) as info:
            await fallbacks.answer(fallback, "f", ask("q"), err)
        assert isinstance(info.value.__cause__, state_errors())
    with pytest.raises(state_errors()):  # history is never silently dropped
        await stores.conversations().history("c1")
    await fallbacks.aclose()


async def test_an_isolated_engine_keeps_conversations_answers_and_queues_in_process(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    cfg = config(redis_url, prefix)
    feature = cfg.features["queued"]
    fallback = feature.fallback.model_copy(update={"path": str(tmp_path / "service.sqlite3")})
    features = {**cfg.features, "queued": feature.model_copy(update={"fallback": fallback})}
    cfg = cfg.model_copy(update={"features": features})
    async with Engine(cfg, transport=api(down=False).transport(), isolate_state=True) as engine:
        await engine.call(ask("synthetic"), feature="chat", conversation_id="c1")
        await engine.call(ask("synthetic"), feature="cached")
        kept = await engine.conversations.store.last("c1", 5)
    async with Engine(cfg, transport=api(down=True).transport(), isolate_state=True) as engine:
        queued = await engine.call(ask("synthetic"), feature="queued")
        assert [p.id for p in await engine.reprocess_queue("queued").pending()] == [
            queued.queued_id
        ]
    assert [t.content for t in kept] == ["synthetic", "answer to synthetic"]
    assert not (tmp_path / "service.sqlite3").exists()  # not in the service's queue file
    import redis

    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"{prefix}:*")) == []
    client.close()
