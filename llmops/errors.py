"""The exception hierarchy of llmops.

Every error llmops raises on purpose derives from :class:`LlmopsError`::

    LlmopsError
    ├── ConfigError               bad llmops.yaml, mock profile or scenario (CLI exit 2)
    ├── InputError                bad command-line input or data file (CLI exit 2)
    └── CallError                 a model call produced no acceptable answer
        ├── ProviderError         the provider answered with an error status
        │   ├── RateLimited       429 rate limit: retried, honouring Retry-After
        │   ├── QuotaExhausted    429 quota or spend exhausted: never retried
        │   ├── Overloaded        529 / 503 overloaded: retried
        │   ├── ServerError       5xx, 408, 409: retried
        │   └── ClientError       400/401/403/404/422 and other 4xx: never retried
        ├── TransportError        connection refused or reset, bad framing: retried
        ├── StreamError           a stream stalled, ended early or carried an error event: retried
        ├── DeadlineExceeded      the attempt or the whole call ran out of time
        ├── CircuitOpen           the breaker refused the call (no upstream attempt made)
        ├── CapacityExceeded      the queue is full: shed at once, with a suggested retry delay
        ├── RetryBudgetExhausted  a retry was due but the retry budget was spent
        └── ValidationFailed      the answer failed the feature's validation

Messages never contain secrets: API keys and Authorization headers are not passed in.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmops.types import RateLimitInfo


class LlmopsError(Exception):
    """Base of every error llmops raises on purpose."""


class ConfigError(LlmopsError):
    """A configuration, profile or scenario file is invalid.

    ``problems`` holds one line per problem, each naming the file, the line or dotted path,
    the bad value and what was expected.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class InputError(LlmopsError):
    """Bad command-line input or an unreadable data file."""


class CallError(LlmopsError):
    """A model call failed. ``error_type`` is a short stable name used in events and reports."""

    error_type = "call_error"
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: seconds the server (or the shedding queue) asked us to wait, if it said
        self.retry_after = retry_after
        #: for a failure that hides its cause (the breaker refused, the retry budget was
        #: spent): the last upstream failure behind it, in words (``connection refused to
        #: 127.0.0.1:9``, ``HTTP 503 (overloaded)``, ``timed out after 5 s``)
        self.upstream_cause: str | None = None


class ProviderError(CallError):
    """The provider answered with an error status."""

    error_type = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        provider_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status
        #: the provider's own error type string, e.g. ``rate_limit_error``, ``insufficient_quota``
        self.provider_type = provider_type
        #: what the error response's rate-limit headers said (a 429 usually says a lot)
        self.rate_limits: RateLimitInfo | None = None


class RateLimited(ProviderError):
    error_type = "rate_limited"
    retryable = True


class QuotaExhausted(ProviderError):
    error_type = "quota_exhausted"
    retryable = False


class Overloaded(ProviderError):
    error_type = "overloaded"
    retryable = True


class ServerError(ProviderError):
    error_type = "server_error"
    retryable = True


class ClientError(ProviderError):
    error_type = "client_error"
    retryable = False


class TransportError(CallError):
    error_type = "connection_error"
    retryable = True


class StreamError(CallError):
    error_type = "stream_error"
    retryable = True


class DeadlineExceeded(CallError):
    error_type = "timeout"
    retryable = True


class CircuitOpen(CallError):
    error_type = "circuit_open"
    retryable = False


class CapacityExceeded(CallError):
    error_type = "shed"
    retryable = False


class RetryBudgetExhausted(CallError):
    error_type = "retry_budget_exhausted"
    retryable = False


class ValidationFailed(CallError):
    error_type = "validation_failed"
    retryable = False


class FeatureUnavailable(CallError):
    """A feature whose fallback is ``error`` failed: its declared message, and the cause."""

    error_type = "unavailable"

    def __init__(self, message: str, *, cause: CallError) -> None:
        super().__init__(message, retry_after=cause.retry_after)
        self.cause = cause
        self.upstream_cause = cause.upstream_cause


def did_you_mean(name: str, known: Sequence[str], *, otherwise: str = "") -> str:
    """``"; did you mean 'x'?"`` for the closest of ``known`` to ``name``, else ``otherwise``
    (typically the list of what is known): the tail of an error about an unknown name."""
    hint = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else otherwise
