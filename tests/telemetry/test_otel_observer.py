"""Spans and metrics from engine calls, read back through the SDK's in-memory exporters."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from llmops import CapacityExceeded, Engine, FeatureUnavailable
from tests.engine.conftest import Upstream, error_response, make_config, ok_body
from tests.telemetry.conftest import Telemetry

pytestmark = pytest.mark.anyio

MSG = [{"role": "user", "content": "a secret-ish prompt"}]
BREAKER = {"enabled": True, "failure_rate_threshold": 0.5, "minimum_calls": 2, "open_s": 10}


def scripted(*statuses: int) -> Upstream:
    """Answers the statuses in turn (429s with Retry-After: 2), then 200 for ever."""

    async def handler(request: httpx.Request) -> httpx.Response:
        i = len(up.requests) - 1
        status = statuses[i] if i < len(statuses) else 200
        if status == 429:
            return error_response(429, "rate_limit_exceeded", **{"retry-after": "2"})
        if status != 200:
            return error_response(status, "server_error")
        return httpx.Response(200, json=ok_body("fine", model="mock-1-2026-05"))

    up = Upstream(handler)
    return up


async def test_a_retried_call_is_one_genai_span_with_each_attempt_a_child(
    telemetry: Telemetry,
) -> None:
    up = scripted(429)
    observer = telemetry.observer()
    async with Engine(make_config(), transport=up.transport(), observers=[observer]) as engine:
        result = await engine.call(MSG)
    assert result.ok and result.attempts == 2
    spans = telemetry.finished()
    (call,) = [s for s in spans if s.name == "chat mock-1"]
    attempts = sorted((s for s in spans if s.name.startswith("attempt")), key=lambda s: s.name)
    assert call.kind is SpanKind.CLIENT
    attrs = dict(call.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "mock-1"
    assert attrs["gen_ai.response.model"] == "mock-1-2026-05"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 2)
    assert attrs["llmops.attempts"] == 2 and "error.type" not in attrs
    assert [a.name for a in attempts] == ["attempt 1", "attempt 2"]
    assert [a.attributes["http.response.status_code"] for a in attempts] == [429, 200]  # type: ignore[index]
    assert attempts[0].attributes["error.type"] == "rate_limited"  # type: ignore[index]
    assert attempts[0].status.status_code is StatusCode.ERROR
    for a in attempts:
        assert a.parent is not None and a.parent.span_id == call.context.span_id
        assert call.start_time <= a.start_time <= a.end_time <= call.end_time  # type: ignore[operator]
    # the 2 s Retry-After wait (virtual time) lies between the two attempts, inside the call
    assert attempts[1].start_time - attempts[0].end_time >= 2e9  # type: ignore[operator]


async def test_attempt_metrics_make_the_429_rate_one_ratio(telemetry: Telemetry) -> None:
    up = scripted(429, 429, 200, 200)
    observer = telemetry.observer()
    async with Engine(make_config(), transport=up.transport(), observers=[observer]) as engine:
        for _ in range(2):
            await engine.call(MSG)
    all_attempts = telemetry.total("llmops.attempts")
    limited = telemetry.total("llmops.attempts", http__response__status_code=429)
    assert (all_attempts, limited) == (len(up.requests), 2)
    assert telemetry.total("llmops.retries") == 2
    assert telemetry.total("llmops.calls", llmops__outcome="ok") == 2
    durations = telemetry.points("gen_ai.client.operation.duration")
    assert sum(p.count for _, p in durations) == len(up.requests)
    assert {a.get("error.type") for a, _ in durations} == {None, "rate_limited"}
    tokens = {
        a["gen_ai.token.type"]: p.sum for a, p in telemetry.points("gen_ai.client.token.usage")
    }
    assert tokens == {"input": 2 * 5, "output": 2 * 2}
    versions = telemetry.points("llmops.model.responses")
    assert [(a["gen_ai.response.model"], p.value) for a, p in versions] == [("mock-1-2026-05", 2)]


async def test_a_validation_failure_answered_by_the_fallback(telemetry: Telemetry) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body("not json"))

    up = Upstream(handler)
    features = {
        "f": {"validation": {"json": True}, "fallback": {"strategy": "default", "value": 1}}
    }
    observer = telemetry.observer()
    cfg = make_config(features=features)
    async with Engine(cfg, transport=up.transport(), observers=[observer]) as engine:
        result = await engine.call(MSG, feature="f")
    assert result.outcome == "degraded:default"
    (call,) = [s for s in telemetry.finished() if s.name == "chat mock-1"]
    assert call.attributes["error.type"] == "validation_failed"  # type: ignore[index]
    assert call.attributes["llmops.fallback"] == "default"  # type: ignore[index]
    assert telemetry.total("llmops.validation_failures", llmops__feature="f") == 1
    assert telemetry.total("llmops.fallbacks", llmops__fallback="default") == 1
    assert telemetry.total("llmops.calls", llmops__outcome="degraded:default") == 1


async def test_shed_calls_are_error_spans_without_attempts(telemetry: Telemetry) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(5)
        return httpx.Response(200, json=ok_body())

    up = Upstream(handler)
    cfg = make_config(limits={"max_concurrency": 1, "queue_limit": 1})
    shed = 0
    observer = telemetry.observer()
    async with Engine(cfg, transport=up.transport(), observers=[observer]) as engine:

        async def one() -> None:
            nonlocal shed
            try:
                await engine.call(MSG)
            except CapacityExceeded:
                shed += 1

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(one)
    assert shed == 2
    assert telemetry.total("llmops.sheds") == shed
    errors = [s for s in telemetry.finished() if s.status.status_code is StatusCode.ERROR]
    assert [s.attributes["error.type"] for s in errors] == ["shed"] * shed  # type: ignore[index]
    assert all(s.name == "chat mock-1" for s in errors)
    assert sum(s.name.startswith("attempt") for s in telemetry.finished()) == len(up.requests)


async def test_breaker_state_is_a_gauge_per_state(telemetry: Telemetry) -> None:
    up = scripted(*[500] * 10)
    observer = telemetry.observer()
    cfg = make_config(breaker=BREAKER, retry={"max_attempts": 1})
    async with Engine(cfg, transport=up.transport(), observers=[observer]) as engine:
        for _ in range(3):
            with pytest.raises(FeatureUnavailable):
                await engine.call(MSG)
    state = {
        a["llmops.breaker.state"]: p.value for a, p in telemetry.points("llmops.breaker.state")
    }
    assert state == {"open": 1, "closed": 0, "half_open": 0}
    assert telemetry.total("llmops.breaker.transitions", llmops__breaker__to="open") == 1
    circuit_open = telemetry.total("llmops.calls", error__type="circuit_open")
    assert circuit_open == 3 - len(up.requests) == 1


async def test_message_content_is_recorded_only_when_asked(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    events_log = tmp_path / "events.jsonl"
    for capture in (False, True):
        telemetry.spans.clear()
        observer = telemetry.observer(capture_content=capture)
        cfg = make_config(events_log=str(events_log))
        async with Engine(cfg, transport=scripted().transport()) as engine:
            engine.add_observer(observer)
            await engine.call(MSG)
        recorded = " ".join(str(dict(s.attributes or {})) for s in telemetry.finished())
        assert ("secret-ish" in recorded) is capture
    # the opt-in is the span's only: the JSON-lines log never carries message content
    assert "secret-ish" not in events_log.read_text()
    assert events_log.read_text().count('"call_finished"') == 2
    (call,) = [s for s in telemetry.finished() if s.name == "chat mock-1"]
    sent = json.loads(call.attributes["gen_ai.input.messages"])  # type: ignore[index, arg-type]
    assert sent == [{"role": "user", "parts": [{"type": "text", "content": MSG[0]["content"]}]}]
    answer = json.loads(call.attributes["gen_ai.output.messages"])  # type: ignore[index, arg-type]
    assert answer[0]["parts"][0]["content"] == "fine"


async def test_the_call_span_is_a_child_of_the_callers_span(telemetry: Telemetry) -> None:
    tracer = telemetry.tracer_provider.get_tracer("app")
    observer = telemetry.observer()
    async with Engine(make_config(), transport=scripted().transport(), observers=[observer]) as e:
        with tracer.start_as_current_span("POST /summarise") as request_span:
            await e.call(MSG)
    (call,) = [s for s in telemetry.finished() if s.name == "chat mock-1"]
    assert call.parent is not None
    assert call.parent.span_id == request_span.get_span_context().span_id


async def test_without_call_events_each_attempt_is_a_genai_span(telemetry: Telemetry) -> None:
    observer = telemetry.observer(per_call=False)
    up = scripted(503)
    engine = Engine(
        make_config(), transport=up.transport(), observers=[observer], call_events=False
    )
    async with engine:
        await engine.call(MSG)
    spans = telemetry.finished()
    assert [s.name for s in spans] == ["chat mock-1"] * 2
    assert [s.attributes["llmops.attempt"] for s in spans] == [1, 2]  # type: ignore[index]
    assert all(s.parent is None for s in spans)


async def test_a_failing_exporter_never_fails_the_call(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    observer = telemetry.observer()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("collector unreachable")

    observer.instruments.calls.add = broken  # type: ignore[method-assign]
    async with Engine(make_config(), transport=scripted().transport(), observers=[observer]) as e:
        result = await e.call(MSG)
    assert result.ok
    assert "could not record a call_finished event" in caplog.text


async def test_a_streamed_call_span_carries_the_ttft_its_caller_saw(telemetry: Telemetry) -> None:
    from tests.engine.test_engine_streams import sse

    async def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            return sse(["a", "b", "c"], gap_s=0.5)
        return httpx.Response(200, json=ok_body("fine"))

    up = Upstream(handler)
    observer = telemetry.observer()
    async with Engine(make_config(), transport=up.transport(), observers=[observer]) as engine:
        await engine.stream(MSG, on_chunk=lambda text, at: None)
        await engine.call(MSG)
    spans = [s for s in telemetry.finished() if s.name == "chat mock-1"]
    ttfts = [dict(s.attributes or {}).get("llmops.ttft_s") for s in spans]
    assert len(ttfts) == 2 and ttfts[1] is None  # a plain call has none
    assert isinstance(ttfts[0], float) and ttfts[0] >= 0.5  # the first chunk came after 0.5 s
