"""``--target-http``: the ladder over the team's own HTTP service, end to end.

The service here is an ASGI-free httpx handler behind the engine's httpx transport adapter, on
trio's virtual clock (the loadtest conftest): a planted capacity (an ``anyio.CapacityLimiter``
of K held for a fixed service time) puts the knee on the first level above K, exactly. The
loopback run over real sockets is in ``test_target_http_loopback.py``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from llmops.engine.clock import AnyioClock
from llmops.engine.transport_httpx import HttpxTransport
from llmops.reporters.loadtest_html import render_html
from llmops.reporters.loadtest_json import render_json
from llmops.reporters.loadtest_markdown import render_markdown
from llmops.workflows.loadtest import LoadtestOptions, LoadtestResult, PromptSet, run_loadtest
from llmops.workflows.service import http_spec, load_http_target
from llmops.workflows.target import Target, service_target

pytestmark = pytest.mark.anyio

SERVICE_S = 0.2
URL = "http://service.test/summarize"
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def target(url: str = URL, **flags: Any) -> Target:
    spec, source = http_spec(url, **flags)
    return service_target(load_http_target(spec, source=source))


def prompts(*texts: str) -> PromptSet:
    messages = tuple([{"role": "user", "content": t}] for t in texts)
    return PromptSet(messages, tuple(1 for _ in texts), "test prompts")


async def run(
    options: LoadtestOptions, handler: Handler, at: Target, prompt_set: PromptSet | None = None
) -> LoadtestResult:
    clock = AnyioClock()
    transport = HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    try:
        return await run_loadtest(
            options, at, prompts=prompt_set, transport=transport, clock=clock, cpu_clock=lambda: 0.0
        )
    finally:
        await transport.aclose()


def queueing_service(capacity: int) -> Handler:
    limiter = anyio.CapacityLimiter(capacity)

    async def handle(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["prompt"]
        async with limiter:
            await anyio.sleep(SERVICE_S)
        return httpx.Response(200, json={"summary": prompt[:12], "usage": {"output_tokens": 4}})

    return handle


@pytest.mark.parametrize(("capacity", "levels"), [(4, (2, 4, 8, 16)), (5, (3, 6, 12))])
async def test_the_knee_lands_on_the_first_level_above_the_planted_capacity(
    capacity: int, levels: tuple[int, ...]
) -> None:
    options = LoadtestOptions(levels=levels, requests=60)
    result = await run(options, queueing_service(capacity), target(expect="summary"))
    knee = result.verdict.knee
    assert knee is not None, result.verdict.lines
    assert knee.load == min(x for x in levels if x > capacity)
    assert all(level.success_rate == 1.0 for level in result.levels)
    assert result.target == f"http POST {URL}" and result.target_kind == "http"
    level = result.levels[0]
    assert level.output_tokens_per_s == pytest.approx(4 * level.throughput_rps)


async def test_statuses_outside_the_success_rule_fail_by_status() -> None:
    # capacity 2, no queue: a third concurrent request is refused with 503
    busy = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal busy
        if busy >= 2:
            return httpx.Response(503, text="busy")
        busy += 1
        try:
            await anyio.sleep(SERVICE_S)
        finally:
            busy -= 1
        return httpx.Response(201, json={"summary": "ok"})

    options = LoadtestOptions(levels=(4,), requests=40, warmup=0)
    level = (await run(options, handle, target(success="200,201"))).levels[0]
    refused = level.errors_by_class.get("http_503", 0)
    assert refused > 0 and level.errors_by_status == {"503": refused}
    assert set(level.errors_by_class) == {"http_503"}
    assert level.successes + refused == 40

    strict = (await run(options, handle, target(success="200"))).levels[0]
    assert strict.successes == 0 and strict.errors_by_class.get("http_201", 0) > 0


@pytest.mark.parametrize("expect", ["summary", 're:"summary":\\s*"[^"]+"'])
async def test_a_200_with_the_wrong_body_is_a_failure(expect: str) -> None:
    calls = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.01)
        body = {"summary": "fine"} if calls % 2 else {"summary": "", "error": "model refused"}
        return httpx.Response(200, json=body)

    options = LoadtestOptions(levels=(1,), requests=20, warmup=0)
    level = (await run(options, handle, target(expect=expect))).levels[0]
    assert level.successes == 10
    assert level.errors_by_class == {"unexpected_body": 10}
    assert level.errors_by_status == {}
    without = (await run(options, handle, target())).levels[0]
    assert without.successes == 20  # with no expect, the status alone decides


HOSTILE = (
    'She said "stop" and left',
    "line one\nline two\r\n\ttabbed",
    "back\\slash \\n not a newline, \\u0041 not an A",
    "</script><b>{{ prompt }}</b> ${HOME} {% raw %}",
    "ünïcödé 🙂 \u2028 \x00 nul",
)


async def test_hostile_prompts_reach_the_service_intact_in_valid_json() -> None:
    seen: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["input"]["text"])
        return httpx.Response(200, json={"ok": True})

    body = '{"input": {"text": {{ prompt | json }}, "lang": "en"}}'
    options = LoadtestOptions(levels=(1,), requests=len(HOSTILE), warmup=0)
    level = (await run(options, handle, target(body=body), prompts(*HOSTILE))).levels[0]
    assert level.success_rate == 1.0
    assert sorted(seen) == sorted(HOSTILE)


async def test_header_secrets_reach_the_service_and_never_a_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "s3cr3t-service-token-4242"
    monkeypatch.setenv("SERVICE_TOKEN", secret)
    got: list[str] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        got.append(request.headers["authorization"])
        return httpx.Response(401 if len(got) % 3 == 0 else 200, json={"summary": "x"})

    at = target(headers=["Authorization: Bearer ${SERVICE_TOKEN}", "X-Team: search"])
    options = LoadtestOptions(levels=(1, 2), requests=9, warmup=0)
    result = await run(options, handle, at)
    assert set(got) == {f"Bearer {secret}"}
    assert result.levels[0].errors_by_class == {"http_401": 3}
    for text in (render_json(result), render_markdown(result), render_html(result), repr(at)):
        assert secret not in text


async def test_with_stream_the_first_body_bytes_are_the_ttft() -> None:
    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            await anyio.sleep(0.05)
            yield b'{"summary": "first'
            await anyio.sleep(0.1)
            yield b' second"}'

    async def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Slow())

    options = LoadtestOptions(levels=(2,), requests=10, stream=True)
    level = (await run(options, handle, target(expect="summary"))).levels[0]
    assert level.successes == 10
    assert level.ttft_ms is not None and level.latency_ms is not None
    assert level.ttft_ms["p50"] == pytest.approx(50, abs=1)
    assert level.latency_ms["p50"] == pytest.approx(150, abs=1)


async def test_a_slow_service_times_out_and_an_unreachable_one_fails_to_connect() -> None:
    async def stuck(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(30)
        return httpx.Response(200)

    options = LoadtestOptions(levels=(1,), requests=3, warmup=0, timeout_s=1)
    assert (await run(options, stuck, target())).levels[0].errors_by_class == {"timeout": 3}

    async def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    level = (await run(options, refused, target())).levels[0]
    assert level.errors_by_class == {"connection_error": 3}
    assert list(level.causes) == ["connection refused to service.test:80"]
