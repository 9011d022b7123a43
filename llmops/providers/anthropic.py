"""Anthropic Messages (``POST {base_url}/v1/messages``), streaming and not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from llmops.content import content_text
from llmops.engine.transport import HttpRequest
from llmops.errors import (
    StreamError,
)
from llmops.providers.base import HTTPProvider, StreamState
from llmops.providers.headers import parse_int, seconds_until
from llmops.providers.parts import messages_for
from llmops.providers.sse import SSEEvent
from llmops.types import LLMRequest, LLMResponse, RateLimitInfo, ToolCall, Usage

__all__ = ["AnthropicProvider"]

_QUOTA_WORDS = ("quota", "billing", "credit")


class AnthropicProvider(HTTPProvider):
    """``POST {base_url}/v1/messages`` with ``x-api-key`` and ``anthropic-version``.

    ``base_url`` is the host root, e.g. ``https://api.anthropic.com`` or
    ``http://127.0.0.1:8000``. A leading system message becomes the ``system`` field.
    ``wall_clock`` (POSIX seconds) turns the RFC 3339 reset headers into seconds from now.
    """

    name = "anthropic"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        default_headers: Mapping[str, str] | None = None,
        version: str = "2023-06-01",
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(base_url, api_key, default_headers=default_headers, wall_clock=wall_clock)
        self._url = f"{self.base_url}/v1/messages"
        headers = {
            "content-type": "application/json",
            "anthropic-version": version,
            **self._default_headers,
        }
        if api_key:
            headers["x-api-key"] = api_key
        self._headers = headers
        self._stream_headers = {**headers, "accept": "text/event-stream"}

    def build_request(self, req: LLMRequest) -> HttpRequest:
        """The Messages request for ``req`` (its ``wire_body`` as is, when given)."""
        if req.wire_body is not None:
            body: dict[str, Any] = {**req.wire_body, "model": req.model}
            body.pop("stream", None)
        else:
            messages = messages_for("anthropic", req.messages)
            body = {"model": req.model, "max_tokens": req.max_tokens}
            if messages and messages[0].get("role") == "system":
                body["system"] = messages.pop(0).get("content", "")
            body["messages"] = messages
            if req.temperature is not None:
                body["temperature"] = req.temperature
        if req.stream:
            body["stream"] = True
        if req.wire_body is None:
            body.update(req.extra)
        headers = self._stream_headers if req.stream else self._headers
        return HttpRequest("POST", self._url, headers, orjson.dumps(body))

    def rate_limits(
        self, headers: Mapping[str, str], *, wall_now: float | None = None
    ) -> RateLimitInfo:
        """``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``.

        Resets are RFC 3339 times, returned as seconds from ``wall_now`` (default: the
        provider's wall clock). The combined ``tokens`` headers are used, not the
        ``input-tokens`` / ``output-tokens`` variants.
        """
        now = self._wall_clock() if wall_now is None else wall_now
        get = headers.get
        return RateLimitInfo(
            requests_limit=parse_int(get("anthropic-ratelimit-requests-limit")),
            requests_remaining=parse_int(get("anthropic-ratelimit-requests-remaining")),
            requests_reset_s=seconds_until(get("anthropic-ratelimit-requests-reset"), now),
            tokens_limit=parse_int(get("anthropic-ratelimit-tokens-limit")),
            tokens_remaining=parse_int(get("anthropic-ratelimit-tokens-remaining")),
            tokens_reset_s=seconds_until(get("anthropic-ratelimit-tokens-reset"), now),
        )

    def _parse_body(self, body: bytes) -> LLMResponse:
        data = orjson.loads(body)
        text = content_text(data["content"], sep="")
        usage = data.get("usage")
        return LLMResponse(
            text=text,
            model=data.get("model") or "",
            usage=Usage(_input_tokens(usage), int(usage.get("output_tokens") or 0))
            if usage
            else None,
            finish_reason=data.get("stop_reason"),
            response_id=data.get("id"),
            tool_calls=[
                ToolCall(str(b.get("id") or ""), b["name"], orjson.dumps(b.get("input")).decode())
                for b in data["content"]
                if isinstance(b, dict) and b.get("type") == "tool_use"
            ],
        )

    def _error_details(self, body: bytes) -> tuple[str | None, str]:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None, body[:1000].decode("utf-8", "replace")
        return _describe_error(data)

    def _is_quota(self, status: int, provider_type: str | None, message: str) -> bool:
        if provider_type == "billing_error":
            return True
        return status == 429 and any(word in message.lower() for word in _QUOTA_WORDS)

    def _new_stream_state(self) -> StreamState:
        return _AnthropicStream(self._redact)


class _AnthropicStream(StreamState):
    def feed(self, event: SSEEvent) -> str:
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            raise StreamError("anthropic stream carried a malformed event") from None
        if not isinstance(data, dict):
            raise StreamError("anthropic stream carried a malformed event")
        kind = event.event if event.event != "message" else data.get("type", "")
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "input_json_delta":
                self.tool_part(int(data.get("index", 0)), None, None, delta.get("partial_json", ""))
            text = (delta.get("text") or "") if delta.get("type") == "text_delta" else ""
            if text:
                self.parts.append(text)
            return str(text)
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                self.tool_part(int(data.get("index", 0)), block.get("id"), block.get("name"), "")
        elif kind == "message_start":
            message = data.get("message") or {}
            self.model = message.get("model") or self.model
            self.response_id = message.get("id")
            self._usage(message.get("usage"))
        elif kind == "message_delta":
            delta = data.get("delta") or {}
            self.finish_reason = delta.get("stop_reason") or self.finish_reason
            self._usage(data.get("usage"))
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            error_type, message = _describe_error(data)
            raise StreamError(
                f"anthropic stream error {error_type or ''}: {self.redact(message)}".strip()
            )
        return ""

    def _usage(self, usage: Any) -> None:
        if not usage:
            return
        if any(k in usage for k in ("input_tokens", "cache_read_input_tokens")):
            self.input_tokens = max(self.input_tokens or 0, _input_tokens(usage))
        if usage.get("output_tokens") is not None:
            self.output_tokens = int(usage["output_tokens"])


def _input_tokens(usage: Mapping[str, Any]) -> int:
    """Input tokens including prompt-cache reads and writes."""
    return sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )


def _describe_error(data: Any) -> tuple[str | None, str]:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            kind = error.get("type")
            return (str(kind) if kind else None), str(error.get("message") or "")
    return None, ""
