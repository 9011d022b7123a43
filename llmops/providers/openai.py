"""OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, LiteLLM and most gateways)."""

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
from llmops.providers.headers import parse_duration, parse_int
from llmops.providers.parts import messages_for
from llmops.providers.sse import SSEEvent
from llmops.types import LLMRequest, LLMResponse, RateLimitInfo, ToolCall, Usage

__all__ = ["OpenAIProvider"]

_QUOTA_TYPES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"})
_QUOTA_WORDS = ("quota", "billing")


class OpenAIProvider(HTTPProvider):
    """``POST {base_url}/chat/completions`` with ``Authorization: Bearer``.

    ``base_url`` includes the API version, e.g. ``https://api.openai.com/v1`` or
    ``http://127.0.0.1:8000/v1``. Streaming always asks for the final usage chunk.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        default_headers: Mapping[str, str] | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(base_url, api_key, default_headers=default_headers, wall_clock=wall_clock)
        self._url = f"{self.base_url}/chat/completions"
        headers = {"content-type": "application/json", **self._default_headers}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._headers = headers
        self._stream_headers = {**headers, "accept": "text/event-stream"}

    def build_request(self, req: LLMRequest) -> HttpRequest:
        """The chat-completions request for ``req`` (its ``wire_body`` as is, when given)."""
        if req.wire_body is not None:
            body: dict[str, Any] = {**req.wire_body, "model": req.model}
            body.pop("stream", None)
            body.pop("stream_options", None)
        else:
            body = {
                "model": req.model,
                "messages": messages_for("openai", req.messages),
                "max_tokens": req.max_tokens,
            }
            if req.temperature is not None:
                body["temperature"] = req.temperature
        if req.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        if req.wire_body is None:
            body.update(req.extra)
        headers = self._stream_headers if req.stream else self._headers
        return HttpRequest("POST", self._url, headers, orjson.dumps(body))

    def rate_limits(self, headers: Mapping[str, str]) -> RateLimitInfo:
        """``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``; resets are durations."""
        get = headers.get
        return RateLimitInfo(
            requests_limit=parse_int(get("x-ratelimit-limit-requests")),
            requests_remaining=parse_int(get("x-ratelimit-remaining-requests")),
            requests_reset_s=parse_duration(get("x-ratelimit-reset-requests")),
            tokens_limit=parse_int(get("x-ratelimit-limit-tokens")),
            tokens_remaining=parse_int(get("x-ratelimit-remaining-tokens")),
            tokens_reset_s=parse_duration(get("x-ratelimit-reset-tokens")),
        )

    def _parse_body(self, body: bytes) -> LLMResponse:
        data = orjson.loads(body)
        choice = data["choices"][0]
        message = choice.get("message") or {}
        return LLMResponse(
            # a string, or (some gateways) a list of text parts
            text=content_text(message.get("content"), sep=""),
            model=data.get("model") or "",
            usage=_usage(data.get("usage")),
            finish_reason=choice.get("finish_reason"),
            system_fingerprint=data.get("system_fingerprint"),
            response_id=data.get("id"),
            tool_calls=[
                ToolCall(str(c.get("id") or ""), c["function"]["name"], c["function"]["arguments"])
                for c in message.get("tool_calls") or ()
            ],
            logprobs=_logprobs(choice.get("logprobs")),
        )

    def _error_details(self, body: bytes) -> tuple[str | None, str]:
        return _error_details(body)

    def _is_quota(self, status: int, provider_type: str | None, message: str) -> bool:
        return status == 429 and (provider_type in _QUOTA_TYPES or _mentions_quota(message))

    def _new_stream_state(self) -> StreamState:
        return _OpenAIStream(self._redact)


class _OpenAIStream(StreamState):
    def feed(self, event: SSEEvent) -> str:
        data = event.data
        if data == "[DONE]":
            self.done = True
            return ""
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise StreamError("openai stream carried a malformed chunk") from None
        if not isinstance(chunk, dict):
            raise StreamError("openai stream carried a malformed chunk")
        error = chunk.get("error")
        if error is not None:
            kind, message = _describe_error(error)
            raise StreamError(f"openai stream error {kind or ''}: {self.redact(message)}".strip())
        if not self.model and chunk.get("model"):
            self.model = chunk["model"]
        if self.response_id is None:
            self.response_id = chunk.get("id")
        if chunk.get("system_fingerprint"):
            self.system_fingerprint = chunk["system_fingerprint"]
        usage = chunk.get("usage")
        if usage:
            self.input_tokens = usage.get("prompt_tokens")
            self.output_tokens = usage.get("completion_tokens")
        text = ""
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content") or ""
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                self.tool_part(
                    int(call.get("index", 0)),
                    call.get("id"),
                    function.get("name"),
                    function.get("arguments") or "",
                )
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        if text:
            self.parts.append(text)
        return text


def _usage(raw: Any) -> Usage | None:
    if not raw:
        return None
    return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))


def _mentions_quota(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _QUOTA_WORDS)


def _describe_error(error: Any) -> tuple[str | None, str]:
    if isinstance(error, dict):
        kind = error.get("code") or error.get("type")
        return (str(kind) if kind else None), str(error.get("message") or "")
    return None, str(error)


def _error_details(body: bytes) -> tuple[str | None, str]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, body[:1000].decode("utf-8", "replace")
    if isinstance(data, dict) and "error" in data:
        return _describe_error(data["error"])
    return None, body[:1000].decode("utf-8", "replace")


def _logprobs(value: Any) -> list[float] | None:
    """The tokens' log probabilities of ``choices[0].logprobs`` (None when absent)."""
    content = value.get("content") if isinstance(value, dict) else None
    if not isinstance(content, list):
        return None
    out = [t.get("logprob") for t in content if isinstance(t, dict)]
    return [float(x) for x in out if isinstance(x, (int, float)) and not isinstance(x, bool)]
