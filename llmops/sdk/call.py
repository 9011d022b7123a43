"""One SDK request through the engine: its URL path and JSON body in, the reply the SDK reads out.

The body goes to :meth:`llmops.Engine.call` as ``wire_body`` (sent as is to the feature's
provider, with the engine's limits, retries, breaker and events); the reply is the provider's
own body, a fallback's answer written in the same wire format (marked
``x-llmops-outcome: degraded:<strategy>``), or an error body the SDK raises as its own error.
Every reply carries ``x-should-retry: false``: the engine has retried already, and the SDK's own
retries would multiply its attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from llmops.engine.delivery import ByteCallback
from llmops.engine.engine import Engine
from llmops.errors import CallError, CapacityExceeded, ClientError, FeatureUnavailable, LlmopsError
from llmops.providers.tools import tool_problem
from llmops.sdk.wire import NO_RETRY, Wire, answer_body, error_body, text_messages, wire_of

__all__ = ["OUTCOME_HEADER", "REQUEST_ID_HEADER", "ROUTE_HEADER", "Reply", "through_engine"]

OUTCOME_HEADER = "x-llmops-outcome"
REQUEST_ID_HEADER = "x-llmops-request-id"
ROUTE_HEADER = "x-llmops-route"


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


async def through_engine(
    engine: Engine,
    feature: str,
    path: str,
    body: bytes,
    *,
    on_bytes: ByteCallback | None = None,
    request_id: str | None = None,
) -> Reply:
    """Run one SDK request (its URL path and JSON body) through ``engine`` for ``feature``.

    ``on_bytes`` receives a stream's body as it arrives (:mod:`llmops.sdk.live`); the reply
    then still says how the call ended."""
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
            on_bytes=on_bytes if stream else None,
            request_id=request_id,
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
