"""httpx transports that run each official-SDK request through the engine.

Duck-typed transports (``handle_request`` / ``handle_async_request``), so one class serves the
``httpx2`` package current SDK releases take and the ``httpx`` older ones take. The SDK builds
its request as usual; the transport hands the body to
:meth:`llmops.Engine.call` as ``wire_body`` (sent as is to the feature's provider, with the
engine's limits, retries, breaker and events) and gives the SDK back what came back: the
provider's own body, a fallback's answer written in the same wire format (marked
``x-llmops-outcome: degraded:<strategy>``), or an error body the SDK raises as its own error.
Every reply carries ``x-should-retry: false``: the engine has retried already, and the SDK's own
retries would multiply its attempts.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import anyio
import orjson

from llmops.engine.engine import Engine
from llmops.engine.sync import SyncEngine
from llmops.errors import CallError, CapacityExceeded, ClientError, FeatureUnavailable, LlmopsError
from llmops.providers.tools import tool_problem
from llmops.sdk.wire import NO_RETRY, Wire, answer_body, error_body, text_messages, wire_of

__all__ = ["AsyncEngineTransport", "EngineTransport", "Reply", "http_module", "through_engine"]

OUTCOME_HEADER = "x-llmops-outcome"
REQUEST_ID_HEADER = "x-llmops-request-id"
ROUTE_HEADER = "x-llmops-route"


def http_module() -> Any:
    """The HTTP client package the installed SDKs take: ``httpx2`` (current releases of both
    official SDKs), else ``httpx`` (older ones)."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


@dataclass(frozen=True, slots=True)
class Reply:
    """What the SDK receives: status, headers and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def response(self, http: Any, request: Any) -> Any:
        """This reply as the response (of the ``http`` package) the SDK reads."""
        return http.Response(self.status, headers=self.headers, content=self.body, request=request)


def _error(wire: Wire, status: int, message: str, kind: str) -> Reply:
    headers = {"content-type": "application/json", **NO_RETRY}
    return Reply(status, headers, error_body(wire, message, kind))


async def through_engine(engine: Engine, feature: str, path: str, body: bytes) -> Reply:
    """Run one SDK request (its URL path and JSON body) through ``engine`` for ``feature``."""
    wire = wire_of(path)
    if wire is None:
        return _error("openai", 404, f"llmops carries chat requests only, not {path}", "not_found")
    try:
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        return _error(wire, 400, "the request body is not a JSON object", "invalid_request_error")
    mismatch = _wire_mismatch(engine, feature, wire) or tool_problem(wire, data)
    if mismatch:  # refused here, before any limiter, breaker or upstream attempt
        return _error(wire, 400, mismatch, "invalid_request_error")
    stream = bool(data.get("stream"))
    model = str(data.get("model") or "") or None
    try:
        result = await engine.call(
            text_messages(wire, data),
            feature=feature,
            stream=stream,
            model=model,
            wire_body=data,
            max_tokens=_max_tokens(data),
        )
    except FeatureUnavailable as err:
        refused = _refusal(err.cause)
        return _error(wire, *refused) if refused else _error(wire, 503, str(err), err.error_type)
    except CapacityExceeded as err:
        return _error(wire, 503, f"llmops shed this call: {err}", "overloaded_error")
    except CallError as err:
        return _error(wire, 503, str(err), err.error_type)
    except LlmopsError as err:
        return _error(wire, 400, str(err), "invalid_request_error")
    refused = _refusal(result.error)
    if refused:  # the provider refused the request itself: the caller's to fix, not to hide
        return _error(wire, *refused)
    headers = {OUTCOME_HEADER: result.outcome, REQUEST_ID_HEADER: result.request_id, **NO_RETRY}
    headers["content-type"] = "text/event-stream" if stream else "application/json"
    if result.route is not None:
        headers[ROUTE_HEADER] = result.route
    if result.response is not None and result.response.raw_body is not None:
        return Reply(200, headers, result.response.raw_body)
    created = int(engine.clock.wall())
    text = result.text or ""
    return Reply(
        200, headers, answer_body(wire, text, model or "", result.request_id, created, stream)
    )


def _refusal(err: BaseException | None) -> tuple[int, str, str] | None:
    """(status, message, type) when ``err`` is the provider refusing the request (a 4xx)."""
    if isinstance(err, ClientError):
        return err.status, str(err), err.provider_type or "invalid_request_error"
    return None


def _max_tokens(data: dict[str, object]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = data.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _wire_mismatch(engine: Engine, feature: str, wire: Wire) -> str | None:
    cfg = engine.config.features.get(feature)
    if cfg is None:
        return None  # the engine names the unknown feature
    found = engine.config.provider_for(cfg)
    if found is None or found[1].kind == wire:
        return None
    return (
        f"feature {feature!r} calls provider {found[0]!r} ({found[1].kind}); "
        f"this client speaks {wire}: use the {found[1].kind} SDK for it"
    )


class AsyncEngineTransport:
    """For ``AsyncOpenAI`` / ``AsyncAnthropic``: each request through an :class:`Engine`.

    The engine is entered on the first request, in the SDK's own event loop, and closed by
    :meth:`aclose` — unless it was passed in already running (then its owner closes it).
    """

    def __init__(self, engine: Engine, feature: str, *, owns_engine: bool, http: Any) -> None:
        self.engine = engine
        self._http = http
        self.feature = feature
        self._owns = owns_engine
        self._entered = not owns_engine
        self._lock: anyio.Lock | None = None

    async def handle_async_request(self, request: Any) -> Any:
        """Run ``request`` through the engine and return the SDK's response."""
        if not self._entered:
            self._lock = self._lock or anyio.Lock()
            async with self._lock:
                if not self._entered:
                    await self.engine.__aenter__()
                    self._entered = True
        body = await request.aread()
        reply = await through_engine(self.engine, self.feature, request.url.path, body)
        return reply.response(self._http, request)

    async def aclose(self) -> None:
        """Close the engine if this transport entered it."""
        if self._owns and self._entered:
            self._entered = False
            await self.engine.aclose()

    async def __aenter__(self) -> AsyncEngineTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class EngineTransport:
    """For ``OpenAI`` / ``Anthropic``: each request through a :class:`SyncEngine`'s loop."""

    def __init__(self, engine: SyncEngine, feature: str, *, owns_engine: bool, http: Any) -> None:
        self.engine = engine
        self._http = http
        self.feature = feature
        self._owns = owns_engine

    def handle_request(self, request: Any) -> Any:
        """Run ``request`` through the engine (blocking) and return the SDK's response."""
        body = request.read()
        reply = self.engine.run(
            through_engine, self.engine.engine, self.feature, request.url.path, body
        )
        return reply.response(self._http, request)

    def close(self) -> None:
        """Close the engine and its loop's thread if this transport made them."""
        if self._owns:
            self.engine.close()

    def __enter__(self) -> EngineTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
