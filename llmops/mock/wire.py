"""The two wire formats the mock speaks: OpenAI chat completions and Anthropic Messages.

Each API (:class:`~llmops.mock.wire_openai.OpenAIWire`,
:class:`~llmops.mock.wire_anthropic.AnthropicWire`) has the same methods: parse a request body, render a full
response, render a stream (as head events, one event per token piece, tail events), render an
error in the API's JSON shape, and format rate-limit headers.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from llmops.content import content_text
from llmops.core.textprofile import estimate_tokens
from llmops.mock.content import Reply
from llmops.mock.tools import Ask

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
    #: OpenAI's ``logprobs: true`` (and ``top_logprobs``): the answer carries token logprobs
    logprobs: bool = False
    top_logprobs: int = 0


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


def load_body(body: bytes) -> dict[str, Any]:
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


def content_tokens(content: Any) -> int:
    """The estimated tokens of a message's content, at least one; its text parts are one text."""
    return max(1, estimate_tokens(content_text(content, sep="")))


def max_tokens_of(value: Any, default: int | None) -> int:
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


def openai_delta(piece: str) -> bytes:
    return b'{"content":' + orjson.dumps(piece) + b"}"


def openai_arguments_delta(piece: str) -> bytes:
    return b'{"tool_calls":[{"index":0,"function":{"arguments":' + orjson.dumps(piece) + b"}}]}"


def anthropic_delta(piece: str) -> bytes:
    return orjson.dumps(piece) + b"}}\n\n"


def rendered(pieces: tuple[str, ...], render: Callable[[str], bytes]) -> list[bytes]:
    """Each piece rendered, cached: under load the same answers stream again and again."""
    key = (render, pieces)
    out = _RENDERED.get(key)
    if out is None:
        if len(_RENDERED) >= 2048:
            _RENDERED.clear()
        out = _RENDERED[key] = [render(p) for p in pieces]
    return out


ANTHROPIC_DELTA = (
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":'
)


ANTHROPIC_STOP = {"stop": "end_turn", "tool_calls": "tool_use"}


@functools.lru_cache(maxsize=64)
def fingerprint(model: str) -> str:
    return "fp_" + format(sum(map(ord, model)) * 2654435761 % (1 << 40), "010x")


class Caching:
    """Under load the same request bodies and answers come again and again: parse and render
    each once (bounded caches; a reply is keyed by identity, so it is kept alongside)."""

    def __init__(self) -> None:
        self._parsed: dict[bytes, ChatRequest] = {}
        self._static: dict[tuple[str, int, str, int, bool, bool, int], tuple[Reply, Any]] = {}

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
        key = (
            kind,
            id(reply),
            model,
            req.input_tokens,
            req.include_usage,
            req.logprobs,
            req.top_logprobs,
        )
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
