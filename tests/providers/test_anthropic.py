from __future__ import annotations

import json

import orjson
import pytest

from llmops.engine.clock import VirtualClock
from llmops.engine.transport import HttpResponse
from llmops.errors import (
    ClientError,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
)
from llmops.providers.anthropic import AnthropicProvider
from llmops.types import LLMRequest, RateLimitInfo, Usage

from .conftest import respond

BASE = "http://127.0.0.1:8000"
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
REQ = LLMRequest(
    model="claude-3-5-haiku-latest",
    messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    max_tokens=64,
)
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-3-5-haiku-20241022",
    "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 10, "output_tokens": 4},
}


def provider() -> AnthropicProvider:
    return AnthropicProvider(BASE, "sk-ant-test-key", wall_clock=lambda: NOW)


def error_body(type_: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": type_, "message": message}}).encode()


def test_request_url_and_headers() -> None:
    http = provider().build_request(REQ)
    assert (http.url, http.headers["x-api-key"], http.headers["anthropic-version"]) == (
        f"{BASE}/v1/messages",
        "sk-ant-test-key",
        "2023-06-01",
    )


def test_leading_system_message_moves_to_system_field() -> None:
    body = orjson.loads(provider().build_request(REQ).body)
    assert (body["system"], body["messages"]) == ("be brief", [{"role": "user", "content": "hi"}])


def test_request_without_system_message_has_no_system_field() -> None:
    req = LLMRequest(model="m", messages=[{"role": "user", "content": "hi"}])
    assert "system" not in orjson.loads(provider().build_request(req).body)


def test_streaming_request_sets_stream() -> None:
    req = LLMRequest(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert orjson.loads(provider().build_request(req).body)["stream"] is True


def test_version_is_configurable() -> None:
    p = AnthropicProvider(BASE, None, version="2024-01-01")
    assert p.build_request(REQ).headers["anthropic-version"] == "2024-01-01"


@pytest.mark.anyio
async def test_send_parses_message() -> None:
    resp = await provider().send(respond(200, orjson.dumps(MESSAGE)), REQ, clock=VirtualClock())
    assert (resp.text, resp.model, resp.usage, resp.finish_reason, resp.response_id) == (
        "Hello there",
        "claude-3-5-haiku-20241022",
        Usage(10, 4),
        "end_turn",
        "msg_1",
    )


def test_cache_tokens_count_as_input() -> None:
    body = dict(
        MESSAGE, usage={"input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 1}
    )
    resp = provider().parse_response(HttpResponse(200, {}, orjson.dumps(body)))
    assert resp.usage == Usage(105, 1)


def test_rate_limit_headers_with_rfc3339_resets() -> None:
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2023-11-14T22:13:21Z",
        "anthropic-ratelimit-tokens-limit": "40000",
        "anthropic-ratelimit-tokens-remaining": "39000",
        "anthropic-ratelimit-tokens-reset": "2023-11-14T22:14:20Z",
        "anthropic-ratelimit-input-tokens-remaining": "1",
    }
    assert provider().rate_limits(headers) == RateLimitInfo(50, 49, 1.0, 40000, 39000, 60.0)


def test_rate_limit_reset_uses_given_wall_now() -> None:
    headers = {"anthropic-ratelimit-requests-reset": "2023-11-14T22:13:30Z"}
    assert provider().rate_limits(headers, wall_now=NOW + 5).requests_reset_s == 5.0


@pytest.mark.parametrize(
    ("status", "body", "cls", "retryable"),
    [
        (
            429,
            error_body("rate_limit_error", "Number of requests has exceeded your rate limit"),
            RateLimited,
            True,
        ),
        (
            429,
            error_body("rate_limit_error", "Your credit balance is too low"),
            QuotaExhausted,
            False,
        ),
        (
            429,
            error_body("rate_limit_error", "You have reached your monthly spend quota"),
            QuotaExhausted,
            False,
        ),
        (402, error_body("billing_error", "payment required"), QuotaExhausted, False),
        (529, error_body("overloaded_error", "Overloaded"), Overloaded, True),
        (503, b"", Overloaded, True),
        (500, error_body("api_error", "Internal server error"), ServerError, True),
        (504, b"gateway timeout", ServerError, True),
        (408, b"", ServerError, True),
        (409, b"", ServerError, True),
        (
            400,
            error_body("invalid_request_error", "max_tokens: field required"),
            ClientError,
            False,
        ),
        (401, error_body("authentication_error", "invalid x-api-key"), ClientError, False),
        (403, error_body("permission_error", "no"), ClientError, False),
        (404, error_body("not_found_error", "model: x"), ClientError, False),
        (413, error_body("request_too_large", "too large"), ClientError, False),
        (422, b"", ClientError, False),
    ],
)
def test_error_classification(
    status: int, body: bytes, cls: type[ProviderError], retryable: bool
) -> None:
    error = provider().error_from(status, {}, body)
    assert (type(error), error.retryable) == (cls, retryable)


def test_error_keeps_provider_type_and_message() -> None:
    error = provider().error_from(529, {}, error_body("overloaded_error", "Overloaded"))
    assert (error.provider_type, str(error)) == (
        "overloaded_error",
        "anthropic 529 overloaded_error: Overloaded",
    )


def test_error_retry_after_from_headers() -> None:
    error = provider().error_from(
        429, {"retry-after": "7"}, error_body("rate_limit_error", "slow down")
    )
    assert error.retry_after == 7.0
