from __future__ import annotations

import json

import httpx
import orjson
import pytest

from llmops.engine.clock import VirtualClock
from llmops.errors import (
    ClientError,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from llmops.providers.openai import OpenAIProvider
from llmops.types import LLMRequest, RateLimitInfo, Usage

from .conftest import Recorder, mock_transport, respond

BASE = "http://127.0.0.1:8000/v1"
REQ = LLMRequest(
    model="gpt-4o-mini",
    messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    max_tokens=32,
    temperature=0.2,
)
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "system_fingerprint": "fp_abc",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
}


def provider() -> OpenAIProvider:
    return OpenAIProvider(BASE, "sk-test-key", wall_clock=lambda: 1_700_000_000.0)


def error_body(message: str, type_: str | None = None, code: str | None = None) -> bytes:
    return json.dumps({"error": {"message": message, "type": type_, "code": code}}).encode()


def test_request_url_and_auth_header() -> None:
    http = provider().build_request(REQ)
    assert (http.method, http.url, http.headers["authorization"]) == (
        "POST",
        f"{BASE}/chat/completions",
        "Bearer sk-test-key",
    )


def test_request_body_carries_messages_and_sampling() -> None:
    body = orjson.loads(provider().build_request(REQ).body)
    assert body == {
        "model": "gpt-4o-mini",
        "messages": [dict(m) for m in REQ.messages],
        "max_tokens": 32,
        "temperature": 0.2,
    }


def test_streaming_request_asks_for_usage() -> None:
    req = LLMRequest(model="m", messages=[{"role": "user", "content": "x"}], stream=True)
    body = orjson.loads(provider().build_request(req).body)
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})


def test_extra_fields_are_merged_into_body() -> None:
    req = LLMRequest(model="m", messages=[], extra={"seed": 7})
    assert orjson.loads(provider().build_request(req).body)["seed"] == 7


def test_default_headers_are_sent() -> None:
    p = OpenAIProvider(BASE, None, default_headers={"X-Team": "search"})
    assert p.build_request(REQ).headers["x-team"] == "search"


def test_no_api_key_means_no_authorization_header() -> None:
    assert "authorization" not in OpenAIProvider(BASE, None).build_request(REQ).headers


def test_trailing_slash_in_base_url() -> None:
    assert OpenAIProvider(BASE + "/", None).build_request(REQ).url == f"{BASE}/chat/completions"


@pytest.mark.anyio
async def test_send_parses_completion() -> None:
    transport = respond(200, orjson.dumps(COMPLETION))
    resp = await provider().send(transport, REQ, clock=VirtualClock())
    assert (resp.text, resp.model, resp.usage, resp.finish_reason) == (
        "Hello!",
        "gpt-4o-mini-2024-07-18",
        Usage(12, 3),
        "stop",
    )


@pytest.mark.anyio
async def test_send_keeps_fingerprint_and_id() -> None:
    resp = await provider().send(respond(200, orjson.dumps(COMPLETION)), REQ, clock=VirtualClock())
    assert (resp.system_fingerprint, resp.response_id) == ("fp_abc", "chatcmpl-1")


@pytest.mark.anyio
async def test_send_posts_json_with_bearer_token() -> None:
    seen = Recorder()
    transport = mock_transport(lambda _: httpx.Response(200, json=COMPLETION), seen)
    await provider().send(transport, REQ, clock=VirtualClock())
    sent = seen.requests[0]
    assert (sent.url.path, sent.headers["authorization"], orjson.loads(sent.content)["model"]) == (
        "/v1/chat/completions",
        "Bearer sk-test-key",
        "gpt-4o-mini",
    )


@pytest.mark.anyio
async def test_send_reads_rate_limit_headers() -> None:
    headers = {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-tokens": "29900",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    resp = await provider().send(
        respond(200, orjson.dumps(COMPLETION), headers), REQ, clock=VirtualClock()
    )
    assert resp.rate_limits == RateLimitInfo(500, 499, 0.12, 30000, 29900, 360.0)


def test_missing_rate_limit_headers_are_none() -> None:
    assert provider().rate_limits({}) == RateLimitInfo()


@pytest.mark.anyio
async def test_error_status_raises_with_retry_after() -> None:
    transport = respond(
        429, error_body("Rate limit reached", "requests"), {"retry-after-ms": "250"}
    )
    with pytest.raises(RateLimited) as info:
        await provider().send(transport, REQ, clock=VirtualClock())
    assert info.value.retry_after == 0.25


@pytest.mark.anyio
async def test_malformed_success_body_is_a_server_error() -> None:
    with pytest.raises(ServerError):
        await provider().send(respond(200, b"<html>oops</html>"), REQ, clock=VirtualClock())


@pytest.mark.parametrize(
    ("status", "body", "cls", "retryable"),
    [
        (
            429,
            error_body("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
            RateLimited,
            True,
        ),
        (
            429,
            error_body(
                "You exceeded your current quota", "insufficient_quota", "insufficient_quota"
            ),
            QuotaExhausted,
            False,
        ),
        (429, error_body("Please check your plan and billing details"), QuotaExhausted, False),
        (429, b"too many requests", RateLimited, True),
        (529, error_body("overloaded"), Overloaded, True),
        (503, b"", Overloaded, True),
        (500, error_body("server had an error", "server_error"), ServerError, True),
        (502, b"bad gateway", ServerError, True),
        (408, b"", ServerError, True),
        (409, b"", ServerError, True),
        (400, error_body("bad messages", "invalid_request_error"), ClientError, False),
        (
            401,
            error_body("Incorrect API key", "invalid_request_error", "invalid_api_key"),
            ClientError,
            False,
        ),
        (403, b"", ClientError, False),
        (404, error_body("model not found", code="model_not_found"), ClientError, False),
        (422, b"{}", ClientError, False),
        (418, b"", ClientError, False),
    ],
)
def test_error_classification(
    status: int, body: bytes, cls: type[ProviderError], retryable: bool
) -> None:
    error = provider().error_from(status, {}, body)
    assert (type(error), error.retryable, error.status) == (cls, retryable, status)


def test_error_keeps_provider_code() -> None:
    error = provider().error_from(
        429, {}, error_body("quota", "insufficient_quota", "insufficient_quota")
    )
    assert error.provider_type == "insufficient_quota"


def test_error_message_includes_provider_message() -> None:
    error = provider().error_from(400, {}, error_body("messages must not be empty"))
    assert "messages must not be empty" in str(error)


def test_error_message_is_truncated() -> None:
    error = provider().error_from(400, {}, error_body("x" * 5000))
    assert len(str(error)) < 260


def test_error_carries_the_rate_limit_headers_of_the_429() -> None:
    provider = OpenAIProvider("http://127.0.0.1:1/v1", None)
    headers = {
        "x-ratelimit-limit-requests": "120",
        "x-ratelimit-remaining-requests": "0",
        "retry-after": "1",
    }
    body = b'{"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}'
    error = provider.error_from(429, headers, body)
    assert error.rate_limits is not None
    assert (error.rate_limits.requests_limit, error.rate_limits.requests_remaining) == (120, 0)


@pytest.mark.anyio
async def test_content_as_a_list_of_text_parts_is_read_as_one_text() -> None:
    parts = [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo!"}]
    body = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "message": {"content": parts}}]}
    resp = await provider().send(respond(200, orjson.dumps(body)), REQ, clock=VirtualClock())
    assert resp.text == "Hello!"
