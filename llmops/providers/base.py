"""The provider interface, and the send/stream logic both wire formats share.

A provider turns an :class:`~llmops.types.LLMRequest` into an
:class:`~llmops.engine.transport.HttpRequest`, sends it through the engine's transport seam,
and parses what comes back: a JSON body, or an SSE stream whose content chunks are timed.

How failures surface (the engine's attempt loop relies on this):

- an HTTP status >= 400 raises the classified :class:`~llmops.errors.ProviderError` subclass
  (``RateLimited``, ``QuotaExhausted``, ``Overloaded``, ``ServerError``, ``ClientError``),
  with ``retry_after`` from the response headers; for a stream this happens before any chunk;
- a connection failure before the response headers raises
  :class:`~llmops.errors.TransportError` (from the transport adapter);
- a stream that stalls, ends without its terminator, is cut mid-body, carries an error event
  or a malformed chunk raises :class:`~llmops.errors.StreamError`;
- a 2xx whose body is not the expected JSON raises ``ServerError`` (retryable).

Cancellation is never swallowed: the engine's deadlines cancel a call from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from typing import Protocol

from llmops.engine.clock import Clock, wall_time
from llmops.engine.delivery import ByteCallback, ChunkCallback
from llmops.engine.transport import HttpRequest, HttpResponse, Transport
from llmops.errors import (
    ClientError,
    Overloaded,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ServerError,
    StreamError,
    TransportError,
)
from llmops.providers.headers import parse_retry_after
from llmops.providers.sse import SSEEvent, SSEParser, SSETooLarge
from llmops.redact import redact_urls
from llmops.types import LLMRequest, LLMResponse, RateLimitInfo, ToolCall, Usage

__all__ = ["ChunkCallback", "HTTPProvider", "Provider", "StreamState"]

_MESSAGE_LIMIT = 200


class Provider(Protocol):
    """What the engine needs from a provider adapter."""

    name: str

    def build_request(self, req: LLMRequest) -> HttpRequest: ...

    def parse_response(self, resp: HttpResponse) -> LLMResponse: ...

    def error_from(self, status: int, headers: Mapping[str, str], body: bytes) -> ProviderError: ...

    def rate_limits(self, headers: Mapping[str, str]) -> RateLimitInfo: ...

    async def send(self, transport: Transport, req: LLMRequest, *, clock: Clock) -> LLMResponse: ...

    async def stream(
        self,
        transport: Transport,
        req: LLMRequest,
        *,
        clock: Clock,
        stall_timeout_s: float | None = None,
        on_chunk: ChunkCallback | None = None,
        on_bytes: ByteCallback | None = None,
    ) -> LLMResponse: ...


class StreamState(ABC):
    """Accumulates one streamed answer from its SSE events."""

    def __init__(self, redact: Callable[[str], str] = str) -> None:
        #: cleans provider text for exception messages (whitespace, length, the API key)
        self.redact = redact
        self.done = False
        self.parts: list[str] = []
        self.model = ""
        self.response_id: str | None = None
        self.finish_reason: str | None = None
        self.system_fingerprint: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        #: tool calls by index: [id, name, argument parts...]
        self.tools: dict[int, list[str]] = {}

    def tool_part(self, index: int, call_id: str | None, name: str | None, args: str) -> None:
        """Add to the ``index``-th tool call as its pieces arrive."""
        entry = self.tools.setdefault(index, ["", ""])
        if call_id:
            entry[0] = call_id
        if name:
            entry[1] = name
        if args:
            entry.append(args)

    @abstractmethod
    def feed(self, event: SSEEvent) -> str:
        """Take one event; return its content text ('' if none). Raise ``StreamError`` on error."""

    def result(self) -> LLMResponse:
        """The answer gathered so far (call once ``done`` is set)."""
        usage = None
        if self.input_tokens is not None or self.output_tokens is not None:
            usage = Usage(self.input_tokens or 0, self.output_tokens or 0)
        return LLMResponse(
            text="".join(self.parts),
            model=self.model,
            usage=usage,
            finish_reason=self.finish_reason,
            system_fingerprint=self.system_fingerprint,
            response_id=self.response_id,
            tool_calls=[
                ToolCall(e[0], e[1], "".join(e[2:])) for _, e in sorted(self.tools.items())
            ],
        )


class HTTPProvider(ABC):
    """Shared behaviour of the OpenAI and Anthropic adapters; subclasses supply the wire format."""

    name: str = ""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        default_headers: Mapping[str, str] | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._default_headers = {k.lower(): v for k, v in (default_headers or {}).items()}
        #: Unix seconds, for headers that carry a date (the engine passes its clock's ``wall``)
        self._wall_clock = wall_clock or wall_time

    def __repr__(self) -> str:
        key = "None" if self._api_key is None else "'***'"
        return f"{type(self).__name__}(base_url={redact_urls(self.base_url)!r}, api_key={key})"

    # -- the wire format, per provider ------------------------------------------------------

    @abstractmethod
    def build_request(self, req: LLMRequest) -> HttpRequest:
        """The HTTP request for ``req`` (streaming when ``req.stream``)."""

    @abstractmethod
    def rate_limits(self, headers: Mapping[str, str]) -> RateLimitInfo:
        """What the provider's rate-limit headers say."""

    @abstractmethod
    def _parse_body(self, body: bytes) -> LLMResponse: ...

    @abstractmethod
    def _error_details(self, body: bytes) -> tuple[str | None, str]:
        """(provider error type or code, human message) from an error body."""

    @abstractmethod
    def _is_quota(self, status: int, provider_type: str | None, message: str) -> bool:
        """Whether an error response means quota or spend is exhausted (never retried)."""

    def _classify(
        self, status: int, provider_type: str | None, message: str
    ) -> type[ProviderError]:
        """The error class: quota first, then 429, overload (503/529), 408/409/5xx, other 4xx."""
        if self._is_quota(status, provider_type, message):
            return QuotaExhausted
        if status == 429:
            return RateLimited
        if status in (503, 529) or provider_type == "overloaded_error":
            return Overloaded
        if status in (408, 409) or status >= 500:
            return ServerError
        return ClientError

    @abstractmethod
    def _new_stream_state(self) -> StreamState: ...

    # -- shared ----------------------------------------------------------------------------

    def parse_response(self, resp: HttpResponse) -> LLMResponse:
        """Parse a complete response; raise the classified ``ProviderError`` for status >= 400."""
        if resp.status >= 400:
            raise self.error_from(resp.status, resp.headers, resp.body)
        try:
            result = self._parse_body(resp.body)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise ServerError(
                f"{self.name} {resp.status}: response body is not a valid {self.name} answer",
                status=resp.status,
            ) from None
        result.rate_limits = self.rate_limits(resp.headers)
        return result

    def error_from(self, status: int, headers: Mapping[str, str], body: bytes) -> ProviderError:
        """The classified error for an error response, with ``retry_after`` from its headers."""
        provider_type, message = self._error_details(body)
        cls = self._classify(status, provider_type, message)
        text = f"{self.name} {status}"
        if provider_type:
            text += f" {provider_type}"
        if message:
            text += f": {self._redact(message)}"
        error = cls(
            text,
            status=status,
            provider_type=provider_type,
            retry_after=parse_retry_after(headers, self._wall_clock()),
        )
        error.rate_limits = self.rate_limits(headers)
        return error

    async def send(self, transport: Transport, req: LLMRequest, *, clock: Clock) -> LLMResponse:
        """One non-streaming call. ``clock`` is accepted for symmetry; the engine times calls."""
        if req.stream:
            req = replace(req, stream=False)
        resp = await transport.send(self.build_request(req))
        result = self.parse_response(resp)
        if req.wire_body is not None:  # the SDK drop-in answers with the body as it came
            result.raw_body = resp.body
        return result

    async def stream(
        self,
        transport: Transport,
        req: LLMRequest,
        *,
        clock: Clock,
        stall_timeout_s: float | None = None,
        on_chunk: ChunkCallback | None = None,
        on_bytes: ByteCallback | None = None,
    ) -> LLMResponse:
        """One streaming call: TTFT and each content chunk's arrival time are recorded.

        ``stall_timeout_s`` bounds the wait for each body read (on ``clock``, which also times
        the chunks); ``on_chunk`` sees every content chunk as it arrives. ``on_bytes`` gets the
        raw body as it arrives, from the first output on (a content chunk or a tool call, or
        the end): the bytes before it are held, so a stream failing before any output reached
        anyone can still be retried. See the module docstring for the errors.
        """
        if not req.stream:
            req = replace(req, stream=True)
        request = self.build_request(req)
        state = self._new_stream_state()
        parser = SSEParser()
        times: list[float] = []
        raw: list[bytes] | None = [] if req.wire_body is not None else None
        held: list[bytes] | None = [] if on_bytes is not None else None  # until output shows
        started = clock.now()
        async with transport.stream(request) as resp:
            if resp.status >= 400:
                raise self.error_from(resp.status, resp.headers, await resp.read())
            limits = self.rate_limits(resp.headers)
            chunks = resp.iter_bytes()
            try:
                while not state.done:
                    chunk = await _next_chunk(chunks, stall_timeout_s, clock)
                    if raw is not None and chunk is not None:
                        raw.append(chunk)
                    events = parser.close() if chunk is None else parser.feed(chunk)
                    at = clock.now() - started
                    for event in events:
                        text = state.feed(event)
                        if text:
                            times.append(at)
                            if on_chunk is not None:
                                on_chunk(text, at)
                        if state.done:
                            break
                    if on_bytes is not None and chunk:
                        if held is None:
                            on_bytes(chunk)
                        else:
                            held.append(chunk)
                            if times or state.tools or state.done:
                                on_bytes(b"".join(held))
                                held = None
                    if chunk is None:
                        break
            except TransportError as exc:
                raise StreamError(f"{self.name} stream ended early: {exc}") from exc
            except SSETooLarge as exc:
                raise StreamError(f"{self.name} stream refused: {exc}") from None
            finally:
                aclose = getattr(chunks, "aclose", None)
                if aclose is not None:
                    await aclose()
        if not state.done:
            raise StreamError(f"{self.name} stream ended without its terminator")
        result = state.result()
        result.rate_limits = limits
        result.chunk_times_s = times
        result.ttft_s = times[0] if times else None
        if raw is not None:
            result.raw_body = b"".join(raw)
        return result

    def _redact(self, message: str) -> str:
        message = " ".join(message.split())
        if self._api_key and len(self._api_key) >= 4:
            message = message.replace(self._api_key, "***")
        if len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 1] + "…"
        return message


async def _next_chunk(
    chunks: AsyncIterator[bytes], stall_timeout_s: float | None, clock: Clock
) -> bytes | None:
    """The next body chunk, ``None`` at the end; ``StreamError`` if none came in time."""
    if stall_timeout_s is None:
        return await anext(chunks, None)
    try:
        with clock.timeout(stall_timeout_s):
            return await anext(chunks, None)
    except TimeoutError:
        raise StreamError(f"stream stalled: no data for {stall_timeout_s:g} s") from None
