"""The SDK drop-in's wire work: read an SDK request body, write the answers the SDK expects.

Pure functions, no I/O: which wire format a request path speaks, the text the engine counts and
profiles, and well-formed responses (plain JSON or an SSE stream) for a fallback's answer or an
error, in the OpenAI chat-completions or Anthropic Messages format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import orjson

from llmops.content import content_text

__all__ = [
    "Wire",
    "answer_body",
    "error_body",
    "error_event",
    "text_messages",
    "wire_of",
]

Wire = Literal["openai", "anthropic"]

#: set on every reply the drop-in writes, so the SDK never retries on top of the engine
NO_RETRY = {"x-should-retry": "false"}


def wire_of(path: str) -> Wire | None:
    """The wire format a request path speaks, ``None`` for one the drop-in does not carry."""
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "openai"
    if path.endswith("/messages"):
        return "anthropic"
    return None


def text_messages(wire: Wire, body: Mapping[str, Any]) -> list[dict[str, str]]:
    """The request's messages as text (what the engine counts, profiles and records).

    Content parts (images, tool calls and results) become their text; Anthropic's ``system``
    field becomes a leading system message.
    """
    out: list[dict[str, str]] = []
    if wire == "anthropic" and body.get("system"):
        out.append({"role": "system", "content": content_text(body["system"], sep="\n")})
    for message in body.get("messages") or ():
        if not isinstance(message, Mapping):
            continue
        role = str(message.get("role") or "user")
        out.append({"role": role, "content": content_text(message.get("content"), sep="\n")})
    return out


def answer_body(wire: Wire, text: str, model: str, rid: str, created: int, stream: bool) -> bytes:
    """A well-formed answer carrying ``text`` (a fallback's), as JSON or as an SSE stream."""
    if wire == "openai":
        return (
            _openai_stream(text, model, rid, created)
            if stream
            else _openai(text, model, rid, created)
        )
    return _anthropic_stream(text, model, rid) if stream else _anthropic(text, model, rid)


def error_body(wire: Wire, message: str, kind: str) -> bytes:
    """An error body the SDK turns into its own error type (with ``message``)."""
    if wire == "openai":
        return orjson.dumps(
            {"error": {"message": message, "type": kind, "param": None, "code": kind}}
        )
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


def error_event(wire: Wire, message: str, kind: str) -> bytes:
    """An SSE event that ends a stream with an error the SDK raises while iterating."""
    if wire == "openai":
        return b"data: " + orjson.dumps({"error": {"message": message, "type": kind}}) + b"\n\n"
    return b"event: error\ndata: " + error_body(wire, message, kind) + b"\n\n"


def _openai(text: str, model: str, rid: str, created: int) -> bytes:
    return orjson.dumps(
        {
            "id": f"chatcmpl-{rid}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }
    )


def _openai_stream(text: str, model: str, rid: str, created: int) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        data = {
            "id": f"chatcmpl-{rid}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        return b"data: " + orjson.dumps(data) + b"\n\n"

    return (
        chunk({"role": "assistant", "content": text}, None)
        + chunk({}, "stop")
        + b"data: [DONE]\n\n"
    )


def _anthropic_message(text: str, model: str, rid: str) -> dict[str, Any]:
    return {
        "id": f"msg_{rid}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0},
    }


def _anthropic(text: str, model: str, rid: str) -> bytes:
    return orjson.dumps(_anthropic_message(text, model, rid))


def _anthropic_stream(text: str, model: str, rid: str) -> bytes:
    def event(name: str, data: dict[str, Any]) -> bytes:
        return (
            b"event: "
            + name.encode()
            + b"\ndata: "
            + orjson.dumps({"type": name, **data})
            + b"\n\n"
        )

    start = {**_anthropic_message("", model, rid), "content": [], "stop_reason": None}
    return b"".join(
        [
            event("message_start", {"message": start}),
            event(
                "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
            ),
            event(
                "content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}}
            ),
            event("content_block_stop", {"index": 0}),
            event(
                "message_delta",
                {
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": 0},
                },
            ),
            event("message_stop", {}),
        ]
    )
