"""The official sync SDKs over the engine: a SyncEngine's loop thread, the loopback mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from llmops import EventRecorder, ModelCall, config_from_dict
from llmops.engine.sync import SyncEngine
from llmops.mock import MockServer
from llmops.sdk import OUTCOME_HEADER, http_client

ASK = [{"role": "user", "content": "I was charged twice, please refund me"}]


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with SyncEngine(config_from_dict({})) as loop:  # a loop thread to host the mock server
        server = MockServer("default", seed=3)
        url = loop.run(server.__aenter__).url
        try:
            yield url
        finally:
            loop.run(server.__aexit__, None, None, None)


def config(kind: str, url: str, **extra: Any) -> Any:
    base = url + "/v1" if kind == "openai" else url
    return config_from_dict(
        {
            "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
            "features": {"f": {}},
            **extra,
        }
    )


@pytest.mark.parametrize("stream", [False, True])
def test_sync_openai_answers_through_the_engine(mock_url: str, stream: bool) -> None:
    recorder = EventRecorder()
    with openai.OpenAI(
        api_key="unused",
        http_client=http_client("f", config=config("openai", mock_url), observers=[recorder]),
    ) as client:
        if stream:
            chunks = client.chat.completions.create(model="mock-1", messages=ASK, stream=True)
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            raw = client.chat.completions.with_raw_response.create(model="mock-1", messages=ASK)
            assert raw.headers[OUTCOME_HEADER] == "ok"
            text = raw.parse().choices[0].message.content or ""
    assert text == "billing"
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert [c.status for c in calls] == [200]
    assert (calls[0].ttft_s is not None) == stream  # streams are measured


@pytest.mark.parametrize("stream", [False, True])
def test_sync_anthropic_answers_through_the_engine(mock_url: str, stream: bool) -> None:
    with anthropic.Anthropic(
        api_key="unused", http_client=http_client("f", config=config("anthropic", mock_url))
    ) as client:
        if stream:
            events = client.messages.create(
                model="mock-1", max_tokens=64, messages=ASK, stream=True
            )
            text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
        else:
            reply = client.messages.create(model="mock-1", max_tokens=64, messages=ASK)
            text = reply.content[0].text
    assert text == "billing"


def test_sync_engine_calls_block_and_close_cleanly(mock_url: str) -> None:
    engine = SyncEngine(config("openai", mock_url))
    with engine:
        result = engine.call(ASK, feature="f")
    assert result.ok and result.text == "billing"
    with pytest.raises(RuntimeError, match="closed"):
        engine.call(ASK, feature="f")


@pytest.fixture(scope="module")
def down_url() -> Iterator[str]:
    """A loopback mock whose outage (503 on every request) starts at once."""
    from llmops.mock.profile import load_profile

    profile = load_profile("outage")
    faults = profile.faults.model_copy(
        update={"outages": [type(profile.faults.outages[0])(start_s=0, end_s=3600, status=503)]}
    )
    with SyncEngine(config_from_dict({})) as loop:
        server = MockServer(profile.model_copy(update={"faults": faults}))
        url = loop.run(server.__aenter__).url
        try:
            yield url
        finally:
            loop.run(server.__aexit__, None, None, None)


def outage_config(url: str, fallback: dict[str, Any], kind: str = "anthropic") -> Any:
    return config(
        kind,
        url,
        retry={"max_attempts": 2, "backoff_base_s": 0.01, "backoff_cap_s": 0.02},
        breaker={"enabled": False},
        features={"f": {"fallback": fallback}},
    )


def test_sync_sdk_in_an_outage_gets_the_fallback_answer(down_url: str) -> None:
    cfg = outage_config(down_url, {"strategy": "default", "value": "try later"})
    with anthropic.Anthropic(api_key="x", http_client=http_client("f", config=cfg)) as client:
        raw = client.messages.with_raw_response.create(model="mock-1", max_tokens=8, messages=ASK)
    assert raw.headers[OUTCOME_HEADER] == "degraded:default"
    assert raw.parse().content[0].text == "try later"


def test_sync_sdk_error_fallback_raises_the_sdks_error_without_extra_attempts(
    down_url: str,
) -> None:
    recorder = EventRecorder()
    cfg = outage_config(down_url, {"strategy": "error", "message": "off for now"})
    client = anthropic.Anthropic(
        api_key="x", http_client=http_client("f", config=cfg, observers=[recorder])
    )  # the SDK's own max_retries (2) left on
    with client, pytest.raises(anthropic.InternalServerError, match="off for now"):
        client.messages.create(model="mock-1", max_tokens=8, messages=ASK)
    attempts = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert [a.status for a in attempts] == [503, 503]  # the engine's two, not 2 x 3


def test_a_burst_of_200_sync_sdk_calls_from_threads_never_sees_a_rate_limit_error() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from trio.testing import MockClock

    from llmops.engine.clock import AnyioClock
    from llmops.mock import MockTransport

    clock = AnyioClock()
    mock = MockTransport("rate-limited", clock=clock, seed=7)
    profile = mock.app.profile
    faults = profile.faults.model_copy(update={"error_rates": {}})
    mock.app.set_profile(profile.model_copy(update={"faults": faults}), 0.0)
    cfg = config(
        "openai",
        "http://mock",
        retry={"max_attempts": 6, "budget_min_per_s": 5},
        limits={"max_concurrency": 250, "timeout_s": 600},
    )
    recorder = EventRecorder()
    engine = SyncEngine(
        cfg,
        backend="trio",  # the engine's loop on virtual time: the burst takes no wall time
        backend_options={"clock": MockClock(autojump_threshold=0)},
        transport=mock,
        clock=clock,
        observers=[recorder],
    )
    with engine, openai.OpenAI(api_key="x", http_client=http_client("f", engine=engine)) as client:

        def one(_: int) -> str:
            reply = client.chat.completions.create(model="mock-1", messages=ASK)
            return reply.choices[0].message.content or ""

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(one, range(200)))
        served = engine.run(_served, mock, clock)
    assert len(answers) == 200 and all(answers)  # no RateLimitError reached a caller
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert sum(c.status == 200 for c in calls) == 200
    assert served == len(calls)  # one upstream request per engine attempt, none from the SDK


async def _served(mock: Any, clock: Any) -> int:
    return int(mock.app.snapshot(clock.now())["requests"])


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_sync_sdk_stream_in_an_outage_gets_the_fallback_answer_streamed(
    down_url: str, kind: str
) -> None:
    cfg = outage_config(down_url, {"strategy": "default", "value": "try later"}, kind)
    with (openai.OpenAI if kind == "openai" else anthropic.Anthropic)(
        api_key="x", http_client=http_client("f", config=cfg)
    ) as client:
        if kind == "openai":
            chunks = client.chat.completions.create(model="mock-1", messages=ASK, stream=True)
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            events = client.messages.create(model="mock-1", max_tokens=8, messages=ASK, stream=True)
            text = "".join(e.delta.text for e in events if e.type == "content_block_delta")
    assert text == "try later"


def test_a_sync_sdk_stream_with_the_error_fallback_raises_before_any_token(
    down_url: str,
) -> None:
    recorder = EventRecorder()
    cfg = outage_config(down_url, {"strategy": "error", "message": "off for now"}, "openai")
    client = openai.OpenAI(
        api_key="x", http_client=http_client("f", config=cfg, observers=[recorder])
    )
    with client, pytest.raises(openai.InternalServerError, match="off for now"):
        client.chat.completions.create(model="mock-1", messages=ASK, stream=True)
    attempts = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert [a.status for a in attempts] == [503, 503]  # the engine's two, not 2 x 3
