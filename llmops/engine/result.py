"""What a call returns to its caller, and the cause behind a failure, in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmops.errors import (
    CallError,
    DeadlineExceeded,
    FeatureUnavailable,
    ProviderError,
    StreamError,
    TransportError,
)
from llmops.types import LLMResponse

__all__ = ["CallResult", "cause_of", "describe_failure"]

_REFUSED = re.compile(r"connect call failed|connection refused|errno 111", re.I)
_TIMED_OUT = re.compile(r"timed out after ([0-9.]+)\s*s")


def describe_failure(err: CallError, base_url: str | None = None) -> str:
    """One upstream failure in words a person can act on, stable across requests (so they
    can be counted): ``connection refused to 127.0.0.1:9``, ``timed out after 5 s``,
    ``HTTP 503 (overloaded)``. ``base_url`` names where a connection failed."""
    if isinstance(err, TransportError):
        where = ""
        if base_url:
            parts = urlsplit(base_url)
            where = f" to {parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        if _REFUSED.search(str(err)):
            return f"connection refused{where}"
        detail = str(err)
        return f"connection failed{where} ({detail if len(detail) <= 80 else detail[:77] + '...'})"
    if isinstance(err, DeadlineExceeded):
        m = _TIMED_OUT.search(str(err))
        return f"timed out after {float(m.group(1)):g} s" if m else "timed out (call deadline)"
    if isinstance(err, ProviderError):
        if err.status < 400:
            # a 2xx whose body is not an answer (invalid JSON): say so, not just "HTTP 200"
            return f"HTTP {err.status} with an invalid body ({_invalid_body(err)})"
        return f"HTTP {err.status} ({err.error_type})"
    if isinstance(err, StreamError):
        return f"stream failed: {err}"
    return f"{err.error_type}: {err}"


def _invalid_body(err: ProviderError) -> str:
    _, _, what = str(err).partition(": ")
    return what or "not a valid answer"


def cause_of(err: CallError) -> str:
    """The upstream cause behind ``err``: what the breaker's refusal, a spent retry budget or
    a feature's declared message hides, else ``err`` itself in words."""
    if err.upstream_cause:
        return err.upstream_cause
    if isinstance(err, FeatureUnavailable):
        return cause_of(err.cause)
    return describe_failure(err)


@dataclass(slots=True)
class CallResult:
    """The answer to one :meth:`llmops.Engine.call`.

    ``outcome`` is ``"ok"`` when the model answered, or ``"degraded:<strategy>"`` when the
    feature's fallback answered instead (``queue``, ``default``, ``cached``); then ``error`` is
    the failure that triggered it and ``cause`` the upstream failure behind it in words
    (``connection refused to 127.0.0.1:9`` behind a ``circuit_open``). ``text`` is the answer
    (or the fallback's value as text).
    """

    request_id: str
    feature: str
    outcome: str
    text: str | None
    response: LLMResponse | None = None
    value: Any = None
    error: CallError | None = None
    attempts: int = 0
    latency_s: float = 0.0
    queue_wait_s: float = 0.0
    queued_id: str | None = None
    #: the route that answered (``provider/model``); ``None`` when a fallback did
    route: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def degraded(self) -> bool:
        return self.outcome.startswith("degraded:")

    @property
    def cause(self) -> str | None:
        """The upstream cause of a degraded answer, in words; ``None`` when the model answered."""
        return None if self.error is None else cause_of(self.error)
