"""The OpenAI chat-completions wire format of the mock (``POST /v1/chat/completions``)."""

from __future__ import annotations

from typing import Any

import orjson

from llmops.content import last_user_text
from llmops.mock.content import Reply
from llmops.mock.logprobs import logprobs_content
from llmops.mock.tools import ask_openai, call_id, tool_problem
from llmops.mock.wire import (
    BadRequest,
    Caching,
    ChatRequest,
    StreamBody,
    content_tokens,
    fingerprint,
    go_duration,
    load_body,
    max_tokens_of,
    openai_arguments_delta,
    openai_delta,
    rendered,
)


class OpenAIWire(Caching):
    """``POST /v1/chat/completions``."""

    name = "openai"
    overloaded_status = 503

    def _parse(self, body: bytes) -> ChatRequest:
        data = load_body(body)
        messages = data["messages"]
        options = data.get("stream_options")
        if problem := tool_problem("openai", data):
            raise BadRequest(problem)
        return ChatRequest(
            model=str(data.get("model", "")),
            prompt=last_user_text(messages, sep=""),
            input_tokens=sum(content_tokens(m.get("content")) + 3 for m in messages),
            max_tokens=max_tokens_of(
                data.get("max_completion_tokens", data.get("max_tokens")), 4096
            ),
            stream=bool(data.get("stream")),
            include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
            ask=ask_openai(data),
            logprobs=data.get("logprobs") is True,
            top_logprobs=_top_logprobs(data.get("top_logprobs")),
        )

    def _usage(self, req: ChatRequest, reply: Reply) -> dict[str, int]:
        out = reply.output_tokens
        return {
            "prompt_tokens": req.input_tokens,
            "completion_tokens": out,
            "total_tokens": req.input_tokens + out,
        }

    def _render_static(self, req: ChatRequest, reply: Reply, model: str) -> bytes:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        if req.ask is not None and req.ask.kind == "tool":
            function = {"name": req.ask.name, "arguments": reply.text}
            call = {"id": call_id("call_", reply.text), "type": "function", "function": function}
            message.update(content=None, tool_calls=[call])
        return orjson.dumps(
            {
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": (
                            logprobs_content(reply.text, req.top_logprobs)
                            if req.logprobs and req.ask is None
                            else None
                        ),
                        "finish_reason": reply.finish,
                    }
                ],
                "usage": self._usage(req, reply),
                "system_fingerprint": fingerprint(model),
            }
        )

    def _finish(self, static: bytes, rid: str, created: int) -> bytes:
        head = b'{"id":"chatcmpl-%s","object":"chat.completion","created":%d,' % (
            rid.encode(),
            created,
        )
        return head + static[1:]

    def stream(
        self, req: ChatRequest, reply: Reply, model: str, rid: str, created: int
    ) -> StreamBody:
        # every chunk starts with the id and timestamp; the rest is rendered once per answer
        prefix = b'data: {"id":"chatcmpl-%s","object":"chat.completion.chunk","created":%d,' % (
            rid.encode(),
            created,
        )
        head, deltas, tail = self._memo(
            "stream", req, reply, model, lambda: self._stream_static(req, reply, model)
        )
        return StreamBody(
            prefix + head, prefix, deltas, b"", prefix + prefix.join(tail) + b"data: [DONE]\n\n"
        )

    def _stream_static(
        self, req: ChatRequest, reply: Reply, model: str
    ) -> tuple[bytes, list[bytes], list[bytes]]:
        common = b'"model":%s,"system_fingerprint":"%s"' % (
            orjson.dumps(model),
            fingerprint(model).encode(),
        )
        start = (
            common
            + (b',"usage":null' if req.include_usage else b"")
            + b',"choices":[{"index":0,"delta":'
        )

        def end(finish: bytes) -> bytes:
            return b',"logprobs":null,"finish_reason":' + finish + b"}]}\n\n"

        head = start + b'{"role":"assistant","content":"","refusal":null}' + end(b"null")
        middle = end(b"null")
        render = openai_delta
        if req.ask is not None and req.ask.kind == "tool":
            function = {"name": req.ask.name, "arguments": ""}
            call = {"index": 0, "id": call_id("call_", reply.text), "type": "function"}
            first = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{**call, "function": function}],
            }
            head = start + orjson.dumps(first) + end(b"null")
            render = openai_arguments_delta
        deltas = [start + delta + middle for delta in rendered(reply.pieces, render)]
        tail = [start + b"{}" + end(b'"' + reply.finish.encode() + b'"')]
        if req.include_usage:
            usage = orjson.dumps(self._usage(req, reply))
            tail.append(common + b',"choices":[],"usage":' + usage + b"}\n\n")
        return head, deltas, tail

    def error(self, key: str, message: str | None = None) -> tuple[int, bytes]:
        status = 429 if key == "quota" else int(key)
        if status == 529:
            status = 503
        kind, code, text = {
            "quota": (
                "insufficient_quota",
                "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details.",
            ),
            "429": ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
            "400": ("invalid_request_error", None, "Invalid request."),
            "401": ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
            "403": ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
            "404": ("invalid_request_error", "model_not_found", "The model does not exist."),
            "503": (
                "server_error",
                None,
                "The engine is currently overloaded, please try again later.",
            ),
        }.get(
            key if key != "529" else "503",
            ("server_error", None, f"The server had an error ({status})."),
        )
        body = {"error": {"message": message or text, "type": kind, "param": None, "code": code}}
        return status, orjson.dumps(body)

    def limit_headers(
        self, kind: str, limit: int, remaining: int, reset_s: float, wall_now: float
    ) -> dict[str, str]:
        return {
            f"x-ratelimit-limit-{kind}": str(limit),
            f"x-ratelimit-remaining-{kind}": str(remaining),
            f"x-ratelimit-reset-{kind}": go_duration(reset_s),
        }


def _top_logprobs(value: object) -> int:
    """``top_logprobs`` as OpenAI takes it: 0 to 20 (anything else is none)."""
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 20 else 0
    )
