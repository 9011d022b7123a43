"""The two wire formats the mock speaks: OpenAI chat completions and Anthropic Messages.

Each API is a :class:`Wire` with the same methods: parse a request body, render a full
response, render a stream (as head events, one event per token piece, tail events), render an
error in the API's JSON shape, and format rate-limit headers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from llmops.content import content_text, last_user_text
from llmops.core.textprofile import estimate_tokens
from llmops.mock.content import Reply
from llmops.mock.tools import Ask, ask_anthropic, ask_openai, call_id, tool_problem

T = TypeVar("T")

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


class BadRequest(Exception):
    """The request body is not a valid request for this API."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """The parts of a chat request the mock looks at."""

    model: str
    prompt: str
    input_tokens: int
    max_tokens: int
    stream: bool
    include_usage: bool
    #: a tool call or structured output the request asks for (:mod:`llmops.mock.tools`)
    ask: Ask | None = None


@dataclass(frozen=True, slots=True)
class StreamBody:
    """A rendered stream: ``head`` goes with the first piece, piece ``i`` is ``prefix +
    deltas[i] + suffix``, and ``tail`` ends the stream (the terminator a truncated stream lacks)."""

    head: bytes
    prefix: bytes
    deltas: list[bytes]
    suffix: bytes
    tail: bytes

    def piece(self, i: int) -> bytes:
        """The ``i``-th token event."""
        return self.prefix + self.deltas[i] + self.suffix

    def joined(self, count: int) -> bytes:
        """The first ``count`` token events in one buffer (one C-level join)."""
        if count <= 0:
            return b""
        return self.prefix + (self.suffix + self.prefix).join(self.deltas[:count]) + self.suffix


def _load(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    messages = data.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, dict) for m in messages)
    ):
        raise BadRequest("'messages' must be a non-empty list of message objects")
    return data


def _tokens(content: Any) -> int:
    """The estimated tokens of a message's content, at least one; its text parts are one text."""
    return max(1, estimate_tokens(content_text(content, sep="")))


def _max_tokens(value: Any, default: int | None) -> int:
    if value is None and default is not None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadRequest(f"'max_tokens' must be a positive integer, got {value!r}")
    return value


def go_duration(seconds: float) -> str:
    """OpenAI's reset format: ``20ms``, ``1.5s``, ``6m0s``, ``1h2m3s``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{text}"
    return f"{int(minutes)}m{text}" if minutes else text


def rfc3339(epoch_s: float) -> str:
    """A UTC timestamp as Anthropic writes its reset headers."""
    moment = dt.datetime.fromtimestamp(math.ceil(epoch_s), tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_RENDERED: dict[tuple[object, tuple[str, ...]], list[bytes]] = {}


def _openai_delta(piece: str) -> bytes:
    return b'{"content":' + orjson.dumps(piece) + b"}"


def _openai_arguments_delta(piece: str) -> bytes:
    return b'{"tool_calls":[{"index":0,"function":{"arguments":' + orjson.dumps(piece) + b"}}]}"


def _anthropic_delta(piece: str) -> bytes:
    return orjson.dumps(piece) + b"}}\n\n"


def _rendered(pieces: tuple[str, ...], render: Callable[[str], bytes]) -> list[bytes]:
    """Each piece rendered, cached: under load the same answers stream again and again."""
    key = (render, pieces)
    out = _RENDERED.get(key)
    if out is None:
        if len(_RENDERED) >= 2048:
            _RENDERED.clear()
        out = _RENDERED[key] = [render(p) for p in pieces]
    return out


_ANTHROPIC_DELTA = (
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":'
)


_STOP = {"stop": "end_turn", "tool_calls": "tool_use"}


@functools.lru_cache(maxsize=64)
def _fingerprint(model: str) -> str:
    return "fp_" + format(sum(map(ord, model)) * 2654435761 % (1 << 40), "010x")


class _Caching:
    """Under load the same request bodies and answers come again and again: parse and render
    each once (bounded caches; a reply is keyed by identity, so it is kept alongside)."""

    def __init__(self) -> None:
        self._parsed: dict[bytes, ChatRequest] = {}
        self._static: dict[tuple[str, int, str, int, bool], tuple[Reply, Any]] = {}

    def parse(self, body: bytes) -> ChatRequest:
        """The request in ``body``; raises :class:`BadRequest`."""
        req = self._parsed.get(body)
        if req is None:
            req = self._parse(body)
            if len(self._parsed) >= 4096:
                self._parsed.clear()
            self._parsed[body] = req
        return req

    def _parse(self, body: bytes) -> ChatRequest:
        raise NotImplementedError

    def _memo(
        self, kind: str, req: ChatRequest, reply: Reply, model: str, render: Callable[[], T]
    ) -> T:
        key = (kind, id(reply), model, req.input_tokens, req.include_usage)
        entry = self._static.get(key)
        if entry is None or entry[0] is not reply:
            if len(self._static) >= 4096:
                self._static.clear()
            entry = self._static[key] = (reply, render())
        return entry[1]

    def body(self, req: ChatRequest, reply: Reply, model: str, rid: str, created: int) -> bytes:
        """The whole JSON response; only the id and timestamp vary between equal answers."""
        static = self._memo(
            "body", req, reply, model, lambda: self._render_static(req, reply, model)
        )
        return self._finish(static, rid, created)

    def _render_static(self, req: ChatRequest, reply: Reply, model: str) -> bytes:
        raise NotImplementedError

    def _finish(self, static: bytes, rid: str, created: int) -> bytes:
        raise NotImplementedError


class OpenAIWire(_Caching):
    """``POST /v1/chat/completions``."""

    name = "openai"
    overloaded_status = 503

    def _parse(self, body: bytes) -> ChatRequest:
        data = _load(body)
        messages = data["messages"]
        options = data.get("stream_options")
        if problem := tool_problem("openai", data):
            raise BadRequest(problem)
        return ChatRequest(
            model=str(data.get("model", "")),
            prompt=last_user_text(messages, sep=""),
            input_tokens=sum(_tokens(m.get("content")) + 3 for m in messages),
            max_tokens=_max_tokens(data.get("max_completion_tokens", data.get("max_tokens")), 4096),
            stream=bool(data.get("stream")),
            include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
            ask=ask_openai(data),
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
                        "logprobs": None,
                        "finish_reason": reply.finish,
                    }
                ],
                "usage": self._usage(req, reply),
                "system_fingerprint": _fingerprint(model),
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
            _fingerprint(model).encode(),
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
        render = _openai_delta
        if req.ask is not None and req.ask.kind == "tool":
            function = {"name": req.ask.name, "arguments": ""}
            call = {"index": 0, "id": call_id("call_", reply.text), "type": "function"}
            first = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{**call, "function": function}],
            }
            head = start + orjson.dumps(first) + end(b"null")
            render = _openai_arguments_delta
        deltas = [start + delta + middle for delta in _rendered(reply.pieces, render)]
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


class AnthropicWire(_Caching):
    """``POST /v1/messages``."""

    name = "anthropic"
    overloaded_status = 529

    def _parse(self, body: bytes) -> ChatRequest:
        data = _load(body)
        messages = data["messages"]
        system = content_text(data.get("system"), sep="")
        if problem := tool_problem("anthropic", data):
            raise BadRequest(problem)
        return ChatRequest(
            model=str(data.get("model", "")),
            prompt=last_user_text(messages, sep=""),
            input_tokens=sum(_tokens(m.get("content")) for m in messages)
            + (_tokens(system) if system else 0),
            max_tokens=_max_tokens(data.get("max_tokens"), None),
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
        message["stop_reason"] = _STOP.get(reply.finish, "max_tokens")
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
        deltas = _rendered(reply.pieces, _anthropic_delta)
        prefix = _ANTHROPIC_DELTA
        if req.ask is not None and req.ask.kind == "tool":
            prefix = _ANTHROPIC_DELTA.replace(
                b'"text_delta","text"', b'"input_json_delta","partial_json"'
            )
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
        stop = _STOP.get(reply.finish, "max_tokens")
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


Wire = OpenAIWire | AnthropicWire


#: dimensions of the mock's embeddings
EMBEDDING_DIMS = 256
_WORD = re.compile(r"\w+")


def embed_text(text: str) -> list[float]:
    """A deterministic embedding: a hashed bag of lower-cased words, L2-normalised, so texts
    sharing words score a high cosine similarity (and the same text scores 1)."""
    vector = [0.0] * EMBEDDING_DIMS
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        slot = int.from_bytes(digest[:3], "big") % EMBEDDING_DIMS
        vector[slot] += 1.0 if digest[3] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else vector


def embeddings_response(body: bytes) -> tuple[int, bytes]:
    """``POST /v1/embeddings`` in the OpenAI format: ``input`` a string or a list of strings."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    texts = data.get("input") if isinstance(data, dict) else None
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        error = {
            "message": "'input' must be a string or a list of strings",
            "type": "invalid_request_error",
        }
        return 400, orjson.dumps({"error": error})
    assert isinstance(data, dict)
    tokens = sum(max(1, estimate_tokens(t)) for t in texts)
    payload = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": embed_text(t)}
            for i, t in enumerate(texts)
        ],
        "model": str(data.get("model") or "mock-embedding"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return 200, orjson.dumps(payload)
