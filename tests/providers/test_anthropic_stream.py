from __future__ import annotations

from typing import Any

import orjson
import pytest

from llmops.engine.clock import VirtualClock
from llmops.errors import Overloaded, StreamError
from llmops.providers.anthropic import AnthropicProvider
from llmops.types import LLMRequest, Usage

from .conftest import respond, sse_transport

REQ = LLMRequest(model="claude-3-5-haiku-latest", messages=[{"role": "user", "content": "hi"}])
T0 = 500.0


def provider() -> AnthropicProvider:
    return AnthropicProvider("http://127.0.0.1:8000", "sk-ant-test-key")


def event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: ".encode() + orjson.dumps({"type": kind, **data}) + b"\n\n"


def text_delta(text: str) -> bytes:
    return event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})


START = event(
    "message_start",
    {
        "message": {
            "id": "msg_7",
            "model": "claude-3-5-haiku-20241022",
            "content": [],
            "usage": {"input_tokens": 25, "output_tokens": 1},
        }
    },
) + event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
END = (
    event("content_block_stop", {"index": 0})
    + event("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 6}})
    + event("message_stop", {})
)
GOOD = [
    (T0 + 0.05, START + event("ping", {})),
    (T0 + 0.4, text_delta("Hi")),
    (T0 + 0.6, text_delta(" there")),
    (T0 + 0.7, END),
]


async def run_good() -> Any:
    clock = VirtualClock(T0)
    return await provider().stream(sse_transport(clock, GOOD), REQ, clock=clock)


@pytest.mark.anyio
async def test_stream_joins_text_deltas() -> None:
    assert (await run_good()).text == "Hi there"


@pytest.mark.anyio
async def test_stream_records_ttft_and_chunk_times() -> None:
    resp = await run_good()
    assert (resp.ttft_s, resp.chunk_times_s) == (pytest.approx(0.4), pytest.approx([0.4, 0.6]))


@pytest.mark.anyio
async def test_stream_usage_from_message_start_and_delta() -> None:
    assert (await run_good()).usage == Usage(25, 6)


@pytest.mark.anyio
async def test_stream_keeps_model_id_and_stop_reason() -> None:
    resp = await run_good()
    assert (resp.model, resp.response_id, resp.finish_reason) == (
        "claude-3-5-haiku-20241022",
        "msg_7",
        "end_turn",
    )


@pytest.mark.anyio
async def test_missing_message_stop_is_a_stream_error() -> None:
    clock = VirtualClock(T0)
    transport = sse_transport(clock, [(T0, START), (T0, text_delta("Hi"))])
    with pytest.raises(StreamError, match="terminator"):
        await provider().stream(transport, REQ, clock=clock)


@pytest.mark.anyio
async def test_error_event_is_a_stream_error() -> None:
    clock = VirtualClock(T0)
    error = event("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
    transport = sse_transport(clock, [(T0, START), (T0, text_delta("Hi") + error)])
    with pytest.raises(StreamError, match="overloaded_error"):
        await provider().stream(transport, REQ, clock=clock)


@pytest.mark.anyio
async def test_overloaded_status_at_stream_start_is_classified() -> None:
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    with pytest.raises(Overloaded):
        await provider().stream(respond(529, body), REQ, clock=VirtualClock())


@pytest.mark.anyio
async def test_event_type_read_from_data_when_event_line_missing() -> None:
    clock = VirtualClock(T0)
    bare = b'data: {"type": "message_stop"}\n\n'
    transport = sse_transport(clock, [(T0, START + text_delta("x")), (T0, bare)])
    assert (await provider().stream(transport, REQ, clock=clock)).text == "x"
