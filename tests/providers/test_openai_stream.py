from __future__ import annotations

from typing import Any

import orjson
import pytest

from llmops.engine.clock import VirtualClock
from llmops.errors import RateLimited, StreamError
from llmops.providers.openai import OpenAIProvider
from llmops.types import LLMRequest, Usage

from .conftest import respond, sse_transport

REQ = LLMRequest(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True)
T0 = 1000.0


def provider() -> OpenAIProvider:
    return OpenAIProvider("http://127.0.0.1:8000/v1", "sk-test-key")


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> bytes:
    delta = {} if content is None else {"content": content}
    data = {
        "id": "chatcmpl-9",
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_x",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return b"data: " + orjson.dumps(data) + b"\n\n"


USAGE = (
    b'data: {"id":"chatcmpl-9","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}\n\n'
)
DONE = b"data: [DONE]\n\n"
GOOD = [
    (T0 + 0.1, b": keep-alive\n\n" + chunk(None)),
    (T0 + 0.5, chunk("Hel")),
    (T0 + 0.75, chunk("lo")),
    (T0 + 0.9, chunk(None, "stop") + USAGE + DONE),
]


async def run_good() -> Any:
    clock = VirtualClock(T0)
    return await provider().stream(sse_transport(clock, GOOD), REQ, clock=clock)


@pytest.mark.anyio
async def test_stream_joins_content() -> None:
    assert (await run_good()).text == "Hello"


@pytest.mark.anyio
async def test_stream_records_ttft_of_first_content_chunk() -> None:
    assert (await run_good()).ttft_s == pytest.approx(0.5)


@pytest.mark.anyio
async def test_stream_records_every_content_chunk_time() -> None:
    assert (await run_good()).chunk_times_s == pytest.approx([0.5, 0.75])


@pytest.mark.anyio
async def test_stream_reads_usage_from_final_chunk() -> None:
    assert (await run_good()).usage == Usage(9, 2)


@pytest.mark.anyio
async def test_stream_keeps_model_finish_reason_and_fingerprint() -> None:
    resp = await run_good()
    assert (resp.model, resp.finish_reason, resp.system_fingerprint) == (
        "gpt-4o-mini-2024-07-18",
        "stop",
        "fp_x",
    )


@pytest.mark.anyio
async def test_on_chunk_sees_each_chunk_with_its_time() -> None:
    clock = VirtualClock(T0)
    seen: list[tuple[str, float]] = []
    await provider().stream(
        sse_transport(clock, GOOD), REQ, clock=clock, on_chunk=lambda t, at: seen.append((t, at))
    )
    assert [t for t, _ in seen] == ["Hel", "lo"]
    assert [at for _, at in seen] == pytest.approx([0.5, 0.75])


@pytest.mark.anyio
async def test_events_split_across_reads_are_reassembled() -> None:
    clock = VirtualClock(T0)
    raw = chunk("abc") + DONE
    parts = [(T0 + 1 + i, raw[i : i + 7]) for i in range(0, len(raw), 7)]
    resp = await provider().stream(sse_transport(clock, parts), REQ, clock=clock)
    assert resp.text == "abc"


@pytest.mark.anyio
async def test_missing_done_is_a_stream_error() -> None:
    clock = VirtualClock(T0)
    transport = sse_transport(clock, [(T0, chunk("Hel")), (T0, chunk(None, "stop") + USAGE)])
    with pytest.raises(StreamError, match="terminator"):
        await provider().stream(transport, REQ, clock=clock)


@pytest.mark.anyio
async def test_error_chunk_is_a_stream_error() -> None:
    clock = VirtualClock(T0)
    error = b'data: {"error": {"message": "The server had an error", "type": "server_error"}}\n\n'
    transport = sse_transport(clock, [(T0, chunk("Hel")), (T0, error)])
    with pytest.raises(StreamError, match="The server had an error"):
        await provider().stream(transport, REQ, clock=clock)


@pytest.mark.anyio
async def test_malformed_chunk_is_a_stream_error() -> None:
    clock = VirtualClock(T0)
    transport = sse_transport(clock, [(T0, b'data: {"choices": [\n\n'), (T0, DONE)])
    with pytest.raises(StreamError, match="malformed"):
        await provider().stream(transport, REQ, clock=clock)


@pytest.mark.anyio
async def test_error_status_at_stream_start_is_classified() -> None:
    body = b'{"error": {"message": "Rate limit reached", "type": "requests"}}'
    with pytest.raises(RateLimited) as info:
        await provider().stream(respond(429, body, {"retry-after": "3"}), REQ, clock=VirtualClock())
    assert info.value.retry_after == 3.0


@pytest.mark.anyio
async def test_done_without_trailing_blank_line_is_accepted() -> None:
    clock = VirtualClock(T0)
    transport = sse_transport(clock, [(T0, chunk("ok")), (T0, b"data: [DONE]\n")])
    assert (await provider().stream(transport, REQ, clock=clock)).text == "ok"
