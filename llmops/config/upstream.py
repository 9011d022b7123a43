"""The upstream sections of ``llmops.yaml``: providers, limits, retries, the breaker, shared state, telemetry."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from llmops.config.base import ENV_NAME, Strict, expand_model_id
from llmops.config.routes import RateLimits


class ProviderConfig(Strict):
    """One upstream API. ``kind: openai`` covers any OpenAI-compatible base URL."""

    kind: Literal["openai", "anthropic"]
    base_url: str
    model: str | None = None
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding the API key."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra non-secret headers.")
    limits: RateLimits | None = Field(
        default=None, description="This provider's own RPM/TPM (the global limits otherwise)."
    )
    models: dict[str, RateLimits] = Field(
        default_factory=dict,
        description="Other models of this provider that routes may name, each with its own "
        "RPM/TPM ({} for the provider's).",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("a URL starting with http:// or https://")
        if "@" in v.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError(
                "a URL without user:password@ (name the variable holding the key in api_key_env)"
            )
        return v.rstrip("/")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        return None if v is None else expand_model_id(v)

    @field_validator("api_key_env")
    @classmethod
    def _key_env(cls, v: str | None) -> str | None:
        if v is not None and not ENV_NAME.match(v):
            raise ValueError(
                "the NAME of an environment variable (e.g. OPENAI_API_KEY), never the key itself"
            )
        return v

    def api_key(self) -> str | None:
        """The key from the environment, or None when no variable is named or it is unset."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


#: the longest duration a configuration may name (a week): beyond it a number is a typo, and
#: event loops refuse such timeouts ("timeout too large")
MAX_SECONDS = 7 * 86_400.0


class LimitsConfig(Strict):
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    max_concurrency: int = Field(default=64, ge=1)
    queue_limit: int = Field(default=256, ge=0, description="Calls waiting beyond max_concurrency.")
    timeout_s: float = Field(
        default=60.0, gt=0, le=MAX_SECONDS, description="Deadline of a whole call."
    )
    attempt_timeout_s: float = Field(
        default=30.0, gt=0, le=MAX_SECONDS, description="Deadline of one attempt."
    )
    stream_stall_s: float = Field(
        default=15.0, gt=0, le=MAX_SECONDS, description="Longest gap between chunks."
    )
    max_input_chars: int | None = Field(default=100_000, ge=1)
    headroom: float = Field(
        default=0.1,
        ge=0,
        le=0.5,
        description="Share of the token limit kept unused: new requests stop within it "
        "(0.1 or '10%').",
    )
    burst: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How much of a minute's budget may go at once: seconds' worth (5, '5s') "
        "or a share of the minute ('10%').",
    )

    @field_validator("headroom", mode="before")
    @classmethod
    def _headroom(cls, v: Any) -> Any:
        return _percent(v) if isinstance(v, str) else v

    @field_validator("burst", mode="before")
    @classmethod
    def _burst(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        if v.strip().endswith("%"):
            return _percent(v) * 60.0
        from llmops.durations import EXPECTED, parse_duration
        from llmops.errors import InputError

        try:
            return parse_duration(v, where="burst")
        except InputError:
            raise ValueError(f"{EXPECTED}, or a share of the minute such as '10%'") from None


def _percent(text: str) -> float:
    """``'10%'`` -> 0.1 (a bare number string is read as a fraction)."""
    body = text.strip()
    scale = 100.0 if body.endswith("%") else 1.0
    try:
        return float(body.rstrip("%").strip()) / scale
    except ValueError:
        raise ValueError("a share such as 0.1 or '10%'") from None


class RetryConfig(Strict):
    max_attempts: int = Field(default=4, ge=1)
    backoff_base_s: float = Field(default=0.5, gt=0, le=MAX_SECONDS)
    backoff_cap_s: float = Field(default=20.0, gt=0, le=MAX_SECONDS)
    budget_ratio: float = Field(default=0.2, ge=0, le=10)
    budget_min_per_s: float = Field(default=1.0, ge=0)
    budget_window_s: float = Field(default=10.0, gt=0, le=MAX_SECONDS)


class BreakerConfig(Strict):
    enabled: bool = True
    failure_rate_threshold: float = Field(default=0.5, gt=0, le=1)
    window_s: float = Field(default=30.0, gt=0, le=MAX_SECONDS)
    minimum_calls: int = Field(default=20, ge=1)
    open_s: float = Field(default=30.0, gt=0, le=MAX_SECONDS)
    half_open_probes: int = Field(default=3, ge=1)
    slow_call_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)


class StateConfig(Strict):
    """Where the engine's runtime state lives: this process (``memory``) or a shared Redis.

    With several instances of a service, ``redis`` makes limits, the breaker, conversation
    history, the answer cache and the reprocess queue one truth for the fleet. ``instances`` is
    the declared instance count; ``on_state_error`` says what an instance does while Redis is
    unreachable: ``fail_closed`` admits nothing, ``local_share`` admits its share of the limits
    (the limit divided by ``instances``), never the whole limit.
    """

    backend: Literal["memory", "redis"] = "memory"
    url: str | None = Field(
        default=None, description="redis://[:password@]host:port/db (rediss:// for TLS)."
    )
    key_prefix: str = Field(default="llmops", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    instances: int = Field(default=1, ge=1, le=100_000)
    on_state_error: Literal["fail_closed", "local_share"] = "local_share"

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("a URL starting redis://, rediss:// or unix://")
        return v

    @model_validator(mode="after")
    def _redis_needs_url(self) -> StateConfig:
        if self.backend == "redis" and self.url is None:
            raise ValueError("a url (redis://host:6379/0) with backend: redis")
        return self


class TelemetryConfig(Strict):
    """The ``telemetry:`` section: OpenTelemetry spans and metrics from every engine call.

    Needs the ``otel`` extra (``pip install 'llmops-toolkit[otel]'``); the spans and metrics go
    to the application's own OpenTelemetry SDK set-up (the global tracer and meter providers).
    Message content is recorded only with ``capture_content: true``.
    """

    opentelemetry: bool = Field(default=False, description="Emit OpenTelemetry spans and metrics.")
    capture_content: bool = Field(
        default=False, description="Record prompts and answers on the spans (off by default)."
    )
