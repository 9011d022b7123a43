"""The official async SDKs over the engine, in process on virtual time."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
import anyio
import openai
import pytest

from llmops import Engine, EventRecorder, ModelCall, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.mock import MockTransport
from llmops.sdk import OUTCOME_HEADER, ROUTE_HEADER, async_http_client

pytestmark = pytest.mark.anyio

ASK = "I was charged twice, please refund me"


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    from trio.testing import MockClock

    return ("trio", {"clock": MockClock(autojump_threshold=0)})


def config(kind: str, **extra: Any) -> Any:
    base = "http://mock/v1" if kind == "openai" else "http://mock"
    return config_from_dict(
        {
            "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
            "retry": {"max_attempts": 6, "budget_min_per_s": 5},
            "limits": {"max_concurrency": 250, "timeout_s": 600},
            **extra,
        }
    )


def quiet(transport: MockTransport) -> None:
    """No sprinkled faults: only the profile's buckets and outages push back."""
    profile = transport.app.profile
    faults = profile.faults.model_copy(update={"error_rates": {}})
    transport.app.set_profile(profile.model_copy(update={"faults": faults}), 0.0)


async def ask(client: Any, kind: str, *, stream: bool = False) -> tuple[str, str | None]:
    """One SDK call; (answer text, the llmops outcome header)."""
    msgs = [{"role": "user", "content": ASK}]
    if kind == "openai":
        if stream:
            chunks = await client.chat.completions.create(
                model="mock-1", messages=msgs, stream=True
            )
            return "".join(
                [c.choices[0].delta.content or "" async for c in chunks if c.choices]
            ), None
        raw = await client.chat.completions.with_raw_response.create(model="mock-1", messages=msgs)
        parsed = await _parsed(raw)
        return parsed.choices[0].message.content, raw.headers.get(OUTCOME_HEADER)
    if stream:
        events = await client.messages.create(
            model="mock-1", max_tokens=64, messages=msgs, stream=True
        )
        parts = [e.delta.text async for e in events if e.type == "content_block_delta"]
        return "".join(parts), None
    raw = await client.messages.with_raw_response.create(
        model="mock-1", max_tokens=64, messages=msgs
    )
    return (await _parsed(raw)).content[0].text, raw.headers.get(OUTCOME_HEADER)


async def _parsed(raw: Any) -> Any:
    parsed = raw.parse()
    return await parsed if inspect.isawaitable(parsed) else parsed


def sdk(kind: str, http_client: Any) -> Any:
    if kind == "openai":
        return openai.AsyncOpenAI(
            api_key="unused", base_url="http://sdk/v1", http_client=http_client
        )
    return anthropic.AsyncAnthropic(
        api_key="unused", base_url="http://sdk", http_client=http_client
    )


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
async def test_a_burst_of_200_under_rate_limits_never_sees_a_rate_limit_error(
    kind: str, stream: bool
) -> None:
    clock = AnyioClock()
    transport = MockTransport("rate-limited", clock=clock, seed=7)
    quiet(transport)
    recorder = EventRecorder()
    cfg = config(kind, features={"f": {}})
    answers: list[str] = []
    async with Engine(cfg, transport=transport, clock=clock, observers=[recorder]) as engine:
        client = sdk(kind, async_http_client("f", engine=engine))

        async def one() -> None:
            answers.append((await ask(client, kind, stream=stream))[0])

        async with anyio.create_task_group() as tg:
            for _ in range(200):  # more than the mock's 120 requests per minute
                tg.start_soon(one)
    # every call answered by the model (no RateLimitError raised, no fallback here)
    assert len(answers) == 200 and all(answers)
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert sum(c.status == 200 for c in calls) == 200
    served = transport.app.snapshot(clock.now())
    assert served["requests"] == len(calls)  # each engine attempt is one request, no more
    if stream:
        assert all(c.ttft_s is not None for c in calls if c.status == 200)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_an_outage_gives_the_sdk_the_fallback_answer_marked_degraded(kind: str) -> None:
    clock = AnyioClock()
    transport = MockTransport("outage", clock=clock)
    cfg = config(
        kind,
        retry={"max_attempts": 3},
        features={"f": {"fallback": {"strategy": "default", "value": "try later"}}},
    )
    async with Engine(cfg, transport=transport, clock=clock) as engine:
        transport.app.start(clock.now())
        await anyio.sleep(11)  # into the outage window (10-40 s)
        client = sdk(kind, async_http_client("f", engine=engine))
        text, outcome = await ask(client, kind)
        streamed, _ = await ask(client, kind, stream=True)
    assert (text, outcome) == ("try later", "degraded:default")
    assert streamed == "try later"


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
async def test_the_error_fallback_is_the_sdks_own_error_and_retries_do_not_multiply(
    kind: str, stream: bool
) -> None:
    clock = AnyioClock()
    transport = MockTransport("outage", clock=clock)
    cfg = config(
        kind,
        retry={"max_attempts": 3, "budget_min_per_s": 100},
        breaker={"enabled": False},
        features={"f": {"fallback": {"strategy": "error", "message": "summaries are off"}}},
    )
    async with Engine(cfg, transport=transport, clock=clock) as engine:
        transport.app.start(clock.now())
        await anyio.sleep(11)
        # the SDK's default max_retries (2) is left on: the drop-in must still not multiply
        client = sdk(kind, async_http_client("f", engine=engine))
        with pytest.raises((openai.InternalServerError, anthropic.InternalServerError)) as info:
            await ask(client, kind, stream=stream)
    assert "summaries are off" in str(info.value)
    assert transport.app.snapshot(clock.now())["requests"] == 3  # the engine's 3 attempts only


async def test_an_openai_client_on_an_anthropic_feature_is_told_which_sdk_to_use() -> None:
    clock = AnyioClock()
    transport = MockTransport("instant", clock=clock)
    cfg = config("anthropic", features={"f": {}})
    async with Engine(cfg, transport=transport, clock=clock) as engine:
        client = sdk("openai", async_http_client("f", engine=engine))
        with pytest.raises(openai.BadRequestError, match="use the anthropic SDK"):
            await ask(client, "openai")
    assert transport.app.snapshot(clock.now())["requests"] == 0


async def test_an_sdk_call_fails_over_to_the_next_route_and_says_which_answered() -> None:
    from tests.engine.test_routes_priority import ByHost

    clock = AnyioClock()
    down, up = MockTransport("outage", clock=clock), MockTransport("instant", clock=clock)
    cfg = config_from_dict(
        {
            "providers": {
                "a": {"kind": "openai", "base_url": "http://down/v1", "model": "mock-1"},
                "b": {"kind": "openai", "base_url": "http://up/v1", "model": "mock-2"},
            },
            "retry": {"max_attempts": 2},
            "features": {"f": {"routes": ["a/mock-1", "b/mock-2"]}},
        }
    )
    async with Engine(cfg, transport=ByHost(down=down, up=up), clock=clock) as engine:
        down.app.start(clock.now())
        await anyio.sleep(11)
        client = sdk("openai", async_http_client("f", engine=engine))
        raw = await client.chat.completions.with_raw_response.create(
            model="ignored-with-routes", messages=[{"role": "user", "content": ASK}]
        )
    assert raw.headers[OUTCOME_HEADER] == "ok" and raw.headers[ROUTE_HEADER] == "b/mock-2"
    assert up.app.snapshot(clock.now())["requests"] == 1  # the healthy route answered once


@pytest.mark.parametrize(("kind", "stream"), [("openai", False), ("anthropic", False)])
async def test_with_the_providers_limits_declared_a_burst_of_200_stays_within_them(
    kind: str, stream: bool
) -> None:
    clock = AnyioClock()
    transport = MockTransport("rate-limited", clock=clock, seed=7)
    quiet(transport)
    # the limits the provider publishes (the mock's: 120 requests, 40k tokens a minute)
    limits = {"requests_per_minute": 120, "tokens_per_minute": 40_000}
    cfg = config(kind, features={"f": {}})
    cfg = cfg.model_copy(update={"limits": cfg.limits.model_copy(update=limits)})
    answers: list[str] = []
    async with Engine(cfg, transport=transport, clock=clock) as engine:
        client = sdk(kind, async_http_client("f", engine=engine))

        async def one() -> None:
            answers.append((await ask(client, kind, stream=stream))[0])

        async with anyio.create_task_group() as tg:
            for _ in range(200):
                tg.start_soon(one)
    assert len(answers) == 200 and all(answers)
    served = transport.app.snapshot(clock.now())
    # the mock never had to refuse one: the engine kept the burst within its limits
    assert served["requests"] == 200 and set(served["by_status"]) == {"200"}
