"""The attempt loop: retries, Retry-After, quota, budget, deadline, validation, events."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import orjson
import pytest

from llmops import (
    DeadlineExceeded,
    Engine,
    EventRecorder,
    FeatureUnavailable,
    ModelCall,
    QuotaExhausted,
    RetryBudgetExhausted,
)
from tests.engine.conftest import Upstream, error_response, make_config, ok_body

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "hi   there  "}]


async def test_success_reports_text_model_and_usage() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body("hello"))

    up = Upstream(handler)
    async with Engine(make_config(), transport=up.transport()) as engine:
        result = await engine.call(MSG)
    assert result.outcome == "ok"
    assert result.text == "hello"
    assert result.response is not None and result.response.model == "mock-1-2026-01"
    assert result.attempts == 1
    assert up.requests[0]["messages"][0]["content"] == "hi there"  # normalised input


async def test_retry_after_is_honoured_before_retrying() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if len(up.requests) == 1:
            return error_response(429, "rate_limit_exceeded", None, **{"retry-after": "3"})
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    async with Engine(make_config(), transport=up.transport()) as engine:
        t0 = anyio.current_time()
        result = await engine.call(MSG)
        waited = anyio.current_time() - t0
    assert result.ok and result.attempts == 2
    assert 3.0 <= waited <= 3.5  # virtual time: the server's wait plus a little jitter


async def test_quota_429_is_never_retried() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return error_response(
            429, "insufficient_quota", "insufficient_quota", **{"retry-after": "1"}
        )

    up = Upstream(handler)
    cfg = make_config(features={"f": {"fallback": {"strategy": "error", "message": "down"}}})
    async with Engine(cfg, transport=up.transport()) as engine:
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG, feature="f")
    assert isinstance(info.value.cause, QuotaExhausted)
    assert str(info.value) == "down"
    assert len(up.requests) == 1


async def test_server_errors_are_retried_up_to_max_attempts() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return error_response(500, "server_error")

    up = Upstream(handler)
    cfg = make_config(retry={"max_attempts": 3, "budget_min_per_s": 10})
    async with Engine(cfg, transport=up.transport()) as engine:
        with pytest.raises(FeatureUnavailable):
            await engine.call(MSG)
    assert len(up.requests) == 3


async def test_retry_budget_caps_amplification_under_an_outage() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return error_response(503, "overloaded")

    up = Upstream(handler)
    cfg = make_config(
        retry={
            "max_attempts": 5,
            "budget_ratio": 0.2,
            "budget_min_per_s": 0.0,
            "budget_window_s": 60,
        },
        limits={"max_concurrency": 100},
    )
    errors: list[type[BaseException]] = []
    async with Engine(cfg, transport=up.transport()) as engine:

        async def one() -> None:
            try:
                await engine.call(MSG)
            except FeatureUnavailable as exc:
                errors.append(type(exc.cause))

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(one)
    # without a budget 50 calls x 5 attempts = 250 upstream requests; with it at most 20% more
    assert len(up.requests) <= 50 * 1.2
    assert RetryBudgetExhausted in errors


async def test_attempt_deadline_expires_and_is_retried() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if len(up.requests) == 1:
            await anyio.sleep(100)
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    cfg = make_config(limits={"attempt_timeout_s": 2, "timeout_s": 30})
    async with Engine(cfg, transport=up.transport()) as engine:
        result = await engine.call(MSG)
    assert result.ok and result.attempts == 2


async def test_whole_call_deadline_stops_everything() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(100)
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    cfg = make_config(limits={"attempt_timeout_s": 4, "timeout_s": 5})
    async with Engine(cfg, transport=up.transport()) as engine:
        t0 = anyio.current_time()
        with pytest.raises(FeatureUnavailable) as info:
            await engine.call(MSG)
        assert anyio.current_time() - t0 <= 5.0 + 1e-6
    assert isinstance(info.value.cause, DeadlineExceeded)


async def test_validation_failure_degrades_to_the_fallback() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body("not json"))

    up = Upstream(handler)
    cfg = make_config(
        features={
            "f": {
                "validation": {"json": True},
                "fallback": {"strategy": "default", "value": {"ok": False}},
            }
        }
    )
    async with Engine(cfg, transport=up.transport()) as engine:
        result = await engine.call(MSG, feature="f")
    assert result.outcome == "degraded:default"
    assert result.value == {"ok": False}
    assert result.error is not None and result.error.error_type == "validation_failed"


async def test_requests_per_minute_spreads_calls_continuously() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    # capacity 2 per minute: the first two pass at once, the third waits for a refill (30 s)
    cfg = make_config(limits={"requests_per_minute": 2, "burst": 60, "timeout_s": 120})
    async with Engine(cfg, transport=up.transport()) as engine:
        t0 = anyio.current_time()
        for _ in range(3):
            await engine.call(MSG)
        elapsed = anyio.current_time() - t0
    assert 29.9 <= elapsed <= 30.5


async def test_model_call_events_carry_gen_ai_fields_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLMOPS_TEST_KEY", "sk-super-secret-value")

    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer sk-super-secret-value"
        if len(up.requests) == 1:
            return error_response(500, "server_error")
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    recorder = EventRecorder()
    async with Engine(make_config(), transport=up.transport(), observers=[recorder]) as engine:
        await engine.call(MSG)
    calls = [e for e in recorder.events if isinstance(e, ModelCall)]
    assert [c.attempt for c in calls] == [1, 2]
    assert calls[0].error_type == "server_error" and calls[0].status == 500
    log = calls[1].as_log()
    assert log["gen_ai.request.model"] == "mock-1"
    assert log["gen_ai.response.model"] == "mock-1-2026-01"
    assert log["gen_ai.usage.input_tokens"] == 5
    assert "sk-super-secret-value" not in repr(recorder.events)
    kinds = [e.kind for e in recorder.events]
    assert kinds[0] == "input_profile" and kinds[-1] == "call_finished"


async def test_events_log_from_config_is_written_as_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_TEST_KEY", "sk-never-in-logs")

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    log = tmp_path / "events.jsonl"
    async with Engine(make_config(events_log=str(log)), transport=up.transport()) as engine:
        await engine.call(MSG)
    records = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert [r["event"] for r in records] == ["input_profile", "model_call", "call_finished"]
    assert records[1]["gen_ai.response.model"] == "mock-1-2026-01"
    assert b"sk-never-in-logs" not in log.read_bytes()
