"""The Anthropic Messages wire format of the mock (``POST /v1/messages``)."""

from __future__ import annotations

from typing import Any

import orjson

from llmops.content import content_text, last_user_text
from llmops.mock.content import Reply
from llmops.mock.tools import ask_anthropic, call_id, tool_problem
from llmops.mock.wire import (
    ANTHROPIC_DELTA,
    ANTHROPIC_STOP,
    BadRequest,
    Caching,
    ChatRequest,
    StreamBody,
    anthropic_delta,
    content_tokens,
    load_body,
    max_tokens_of,
    rendered,
    rfc3339,
)

#: a tool use's arguments stream as ``input_json_delta`` events (built once, not per request)
_JSON_DELTA = ANTHROPIC_DELTA.replace(b'"text_delta","text"', b'"input_json_delta","partial_json"')


class AnthropicWire(Caching):
    """``POST /v1/messages``."""

    name = "anthropic"
    overloaded_status = 529

    def _parse(self, body: bytes) -> ChatRequest:
        data = load_body(body)
        messages = data["messages"]
        system = content_text(data.get("system"), sep="")
        if problem := tool_problem("anthropic", data):
            raise BadRequest(problem)
        return ChatRequest(
            model=str(data.get("model", "")),
            prompt=last_user_text(messages, sep=""),
            input_tokens=sum(content_tokens(m.get("content")) for m in messages)
            + (content_tokens(system) if system else 0),
            max_tokens=max_tokens_of(data.get("max_tokens"), None),
            stream=bool(data.get("stream")),
            include_usage=True,
            ask=ask_anthropic(data),
        )

    def _message(self, req: ChatRequest, model: str, rid: str) -> dict[str, Any]:
        return {
            "id": "msg_" + rid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": req.input_tokens, "output_tokens": 0},
        }

    def _render_static(self, req: ChatRequest, reply: Reply, model: str) -> bytes:
        message = self._message(req, model, "")
        del message["id"]
        message["content"] = [{"type": "text", "text": reply.text}]
        message["stop_reason"] = ANTHROPIC_STOP.get(reply.finish, "max_tokens")
        if req.ask is not None and req.ask.kind == "tool":
            use = {"type": "tool_use", "id": call_id("toolu_", reply.text), "name": req.ask.name}
            message["content"] = [{**use, "input": orjson.loads(reply.text)}]
        message["usage"]["output_tokens"] = reply.output_tokens
        return orjson.dumps(message)

    def _finish(self, static: bytes, rid: str, created: int) -> bytes:
        return b'{"id":"msg_' + rid.encode() + b'",' + static[1:]

    def stream(
        self, req: ChatRequest, reply: Reply, model: str, rid: str, created: int
    ) -> StreamBody:
        # only message_start carries the id; the rest is rendered once per answer
        head, tail = self._memo(
            "stream", req, reply, model, lambda: self._stream_static(req, reply, model)
        )
        start = b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_'
        deltas = rendered(reply.pieces, anthropic_delta)
        tool = req.ask is not None and req.ask.kind == "tool"
        prefix = _JSON_DELTA if tool else ANTHROPIC_DELTA
        return StreamBody(start + rid.encode() + b'",' + head, prefix, deltas, b"", tail)

    def _stream_static(self, req: ChatRequest, reply: Reply, model: str) -> tuple[bytes, bytes]:
        def event(name: str, data: dict[str, Any]) -> bytes:
            return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

        message = self._message(req, model, "")
        del message["id"]
        message["usage"]["output_tokens"] = 1
        content: dict[str, Any] = {"type": "text", "text": ""}
        if req.ask is not None and req.ask.kind == "tool":
            use = {"type": "tool_use", "id": call_id("toolu_", reply.text), "name": req.ask.name}
            content = {**use, "input": {}}
        block = {"type": "content_block_start", "index": 0, "content_block": content}
        head = (
            orjson.dumps(message)[1:]
            + b"}\n\n"
            + event("content_block_start", block)
            + event("ping", {"type": "ping"})
        )
        stop = ANTHROPIC_STOP.get(reply.finish, "max_tokens")
        delta = {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        }
        tail = (
            event("content_block_stop", {"type": "content_block_stop", "index": 0})
            + event("message_delta", delta)
            + event("message_stop", {"type": "message_stop"})
        )
        return head, tail

    def error(self, key: str, message: str | None = None) -> tuple[int, bytes]:
        status, kind, text = {
            "quota": (
                400,
                "invalid_request_error",
                "Your credit balance is too low to access the Anthropic API.",
            ),
            "400": (400, "invalid_request_error", "Invalid request."),
            "401": (401, "authentication_error", "invalid x-api-key"),
            "403": (403, "permission_error", "Your API key does not have permission."),
            "404": (404, "not_found_error", "model not found"),
            "408": (408, "timeout_error", "Request timed out."),
            "429": (429, "rate_limit_error", "Number of requests has exceeded your rate limit."),
            "504": (504, "timeout_error", "Request timed out."),
            "529": (529, "overloaded_error", "Overloaded"),
        }.get(key, (int(key) if key.isdigit() else 500, "api_error", "Internal server error"))
        body = {"type": "error", "error": {"type": kind, "message": message or text}}
        return status, orjson.dumps(body)

    def limit_headers(
        self, kind: str, limit: int, remaining: int, reset_s: float, wall_now: float
    ) -> dict[str, str]:
        return {
            f"anthropic-ratelimit-{kind}-limit": str(limit),
            f"anthropic-ratelimit-{kind}-remaining": str(remaining),
            f"anthropic-ratelimit-{kind}-reset": rfc3339(wall_now + reset_s),
        }
