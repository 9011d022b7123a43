"""Adopt llmops in one line: the official SDKs, with the engine underneath.

::

    from openai import OpenAI, AsyncOpenAI
    import llmops

    client = OpenAI(http_client=llmops.sdk.http_client(feature="summarize"))
    aclient = AsyncOpenAI(http_client=llmops.sdk.async_http_client(feature="summarize"))

The same for ``Anthropic`` and ``AsyncAnthropic``. Each SDK request then runs through the
engine for that feature: its limits, retries and budget, breaker, events and fallback. The SDK
base URL and API key are not used: the feature's provider in ``llmops.yaml`` is called. A
fallback's answer arrives as a normal response marked ``x-llmops-outcome: degraded:<strategy>``;
a feature whose fallback is ``error`` makes the SDK raise its own ``InternalServerError`` (503).
Every reply says ``x-should-retry: false``, so the SDK never retries on top of the engine.
Streams are live (:mod:`llmops.sdk.live`): the SDK reads the provider's chunks as they arrive;
closing a stream early, or the client, cancels its engine call (``call_finished``: ``cancelled``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmops.config import LlmopsConfig, load_config
from llmops.engine.engine import Engine
from llmops.engine.sync import SyncEngine
from llmops.sdk.call import OUTCOME_HEADER, REQUEST_ID_HEADER, ROUTE_HEADER
from llmops.sdk.transport import AsyncEngineTransport, EngineTransport, http_module

__all__ = [
    "OUTCOME_HEADER",
    "REQUEST_ID_HEADER",
    "ROUTE_HEADER",
    "async_http_client",
    "http_client",
]


def _config(config: LlmopsConfig | str | Path | None) -> LlmopsConfig:
    return config if isinstance(config, LlmopsConfig) else load_config(config)


def http_client(
    feature: str,
    *,
    config: LlmopsConfig | str | Path | None = None,
    engine: SyncEngine | None = None,
    **engine_options: Any,
) -> Any:
    """An ``httpx2.Client`` (``httpx.Client`` without httpx2) for ``OpenAI(http_client=...)`` / ``Anthropic(http_client=...)``.

    Requests run through ``engine`` (a running :class:`SyncEngine`, which you close), or
    through one made from ``config`` (an ``LlmopsConfig`` or a path; ``./llmops.yaml`` by
    default) and ``engine_options``, closed with the client.
    """
    owns = engine is None
    if engine is None:
        engine = SyncEngine(_config(config), **engine_options)
    http = http_module()
    return http.Client(transport=EngineTransport(engine, feature, owns_engine=owns, http=http))


def async_http_client(
    feature: str,
    *,
    config: LlmopsConfig | str | Path | None = None,
    engine: Engine | None = None,
    **engine_options: Any,
) -> Any:
    """An ``httpx2.AsyncClient`` (``httpx.AsyncClient`` without httpx2) for ``AsyncOpenAI`` / ``AsyncAnthropic(http_client=...)``.

    Requests run through ``engine`` (an :class:`~llmops.Engine` already entered, which you
    close), or through one made from ``config`` and ``engine_options``, entered on the first
    request and closed with the client.
    """
    owns = engine is None
    if engine is None:
        engine = Engine(_config(config), **engine_options)
    http = http_module()
    transport = AsyncEngineTransport(engine, feature, owns_engine=owns, http=http)
    return http.AsyncClient(transport=transport)
