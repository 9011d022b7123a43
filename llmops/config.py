"""The ``llmops.yaml`` schema and its loading.

Validated with pydantic v2 (``extra="forbid"`` everywhere, so a misspelt key is an error with a
"did you mean"). API keys are never in the file: a provider names the *environment variable* that
holds its key. Model ids may be pinned through the environment: ``model: ${SUMMARIZE_MODEL:-gpt-4o}``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from llmops.defaults import DEFAULT_CONFIG_FILE as DEFAULT_CONFIG_FILE  # re-exported
from llmops.errors import ConfigError, did_you_mean
from llmops.yamlload import load_yaml_model, validate_model

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def expand_model_id(value: str) -> str:
    """Expand ``${VAR}`` / ``${VAR:-default}`` in a model id (pinning through the environment)."""

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        found = os.environ.get(name)
        if found:
            return found
        if default is not None:
            return default
        raise ValueError(
            f"a model id, but environment variable {name} is not set and has no default"
        )

    return _ENV_REF.sub(repl, value)


def _duration(value: str | float) -> float:
    """Seconds in a duration such as ``24h`` or ``90s`` (the one grammar, :mod:`llmops.durations`)."""
    from llmops.durations import parse_duration
    from llmops.errors import InputError

    try:
        return parse_duration(str(value))
    except InputError:
        raise ValueError("a duration such as 90s, 30m, 24h, 7d or 1h30m") from None


#: seconds, written as a number or a duration string (``90``, ``30s``, ``1h``)
Duration = Annotated[float, BeforeValidator(_duration), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ProviderConfig(_Strict):
    """One upstream API. ``kind: openai`` covers any OpenAI-compatible base URL."""

    kind: Literal["openai", "anthropic"]
    base_url: str
    model: str | None = None
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding the API key."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra non-secret headers.")

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
        if v is not None and not _ENV_NAME.match(v):
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


class LimitsConfig(_Strict):
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


class RetryConfig(_Strict):
    max_attempts: int = Field(default=4, ge=1)
    backoff_base_s: float = Field(default=0.5, gt=0, le=MAX_SECONDS)
    backoff_cap_s: float = Field(default=20.0, gt=0, le=MAX_SECONDS)
    budget_ratio: float = Field(default=0.2, ge=0, le=10)
    budget_min_per_s: float = Field(default=1.0, ge=0)
    budget_window_s: float = Field(default=10.0, gt=0, le=MAX_SECONDS)


class BreakerConfig(_Strict):
    enabled: bool = True
    failure_rate_threshold: float = Field(default=0.5, gt=0, le=1)
    window_s: float = Field(default=30.0, gt=0, le=MAX_SECONDS)
    minimum_calls: int = Field(default=20, ge=1)
    open_s: float = Field(default=30.0, gt=0, le=MAX_SECONDS)
    half_open_probes: int = Field(default=3, ge=1)
    slow_call_s: float | None = Field(default=None, gt=0, le=MAX_SECONDS)


class StateConfig(_Strict):
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


class QueueFallback(_Strict):
    """Failed calls go to a durable reprocess queue to be retried later.

    The queue is a SQLite file at ``path`` with ``state.backend: memory`` and a Redis stream
    with ``state.backend: redis``. A drain takes an item for ``lease`` (a worker that dies
    loses its lease and the item is taken again), tries it at most ``max_attempts`` times, then
    moves it to the dead letters. With ``auto_drain`` a service's engine drains by itself once
    the breaker is closed, at most ``drain_rate`` items per second, looking every ``check_every``.
    """

    strategy: Literal["queue"]
    path: str = ".llmops/reprocess-queue.sqlite3"
    auto_drain: bool = False
    lease: Duration = 300.0
    max_attempts: int = Field(default=5, ge=1)
    drain_rate: float = Field(default=2.0, gt=0, description="Items per second at most.")
    check_every: Duration = 10.0


class DefaultFallback(_Strict):
    """Answer with a fixed value."""

    strategy: Literal["default"]
    value: Any


class CachedFallback(_Strict):
    """Answer with the last good answer for the same normalised input, if there is one."""

    strategy: Literal["cached"]
    max_entries: int = Field(default=10_000, ge=1)
    ttl: Duration = Field(default=86_400.0, description="How long an answer may be served.")


class ErrorFallback(_Strict):
    """Fail explicitly with this message (never hidden)."""

    strategy: Literal["error"]
    message: str = "the AI feature is unavailable right now"


Fallback = Annotated[
    QueueFallback | DefaultFallback | CachedFallback | ErrorFallback,
    Field(discriminator="strategy"),
]


class ValidationConfig(_Strict):
    json_: bool = Field(default=False, alias="json", description="The answer must parse as JSON.")
    max_chars: int | None = Field(default=None, ge=1)
    regex: str | None = None

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    @field_validator("regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"a valid regular expression ({exc})") from None
        return v

    def problem(self, text: str) -> str | None:
        """Why ``text`` fails validation, or None when it passes."""
        if self.max_chars is not None and len(text) > self.max_chars:
            return f"answer has {len(text)} characters, more than {self.max_chars}"
        if self.json_:
            try:
                json.loads(text)
            except ValueError:
                return "answer is not valid JSON"
        if self.regex is not None and re.search(self.regex, text) is None:
            return f"answer does not match /{self.regex}/"
        return None


class ConversationConfig(_Strict):
    """A conversational feature: history kept per conversation id, sent within a token budget.

    Each call sends the most recent turns that fit ``token_budget`` (with the new turn), trimmed
    from the oldest end; at most ``max_turns`` are kept, for ``ttl`` after the last turn.
    ``summarize_with`` names a feature that summarises what was trimmed (at most
    ``summary_tokens``), kept with the conversation and redone when it falls out of date.
    """

    token_budget: int = Field(default=3000, ge=1)
    max_turns: int = Field(default=50, ge=1)
    ttl: Duration = 3600.0
    summarize_with: str | None = None
    summary_tokens: int = Field(default=256, ge=1)


class FeatureConfig(_Strict):
    """One AI-dependent path of the product, by name."""

    provider: str | None = None
    model: str | None = None
    max_tokens: int = Field(default=256, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    system_prompt: str | None = None
    fallback: Fallback = Field(default_factory=lambda: ErrorFallback(strategy="error"))
    validation: ValidationConfig | None = None
    conversation: ConversationConfig | None = None

    @field_validator("model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        return None if v is None else expand_model_id(v)


class RunbookFeature(_Strict):
    """The runbook's answers for one feature (``runbook.features.NAME``)."""

    owner: str | None = None
    when_down: str | None = Field(
        default=None, description="What the user sees when the model API is down (one sentence)."
    )
    peak_concurrency: int | None = Field(default=None, ge=1)
    p95_budget: str | None = Field(default=None, description="p95 latency budget, e.g. 2s.")
    success_floor: float = Field(default=0.99, gt=0, le=1)
    loadtest_report: str | None = Field(
        default=None, description="Loadtest JSON for this feature (default: evidence.loadtest)."
    )
    trust_provider_limits: bool = Field(
        default=False, description="No limits declared: the provider's rate-limit headers pace."
    )
    eval_suite: str | None = None
    eval_every: str = "24h"
    eval_window: str = "7d"
    eval_slack: str | None = Field(
        default=None, description="Lateness allowed beyond one period (default half a period)."
    )
    alert_threshold: float = Field(default=0.03, gt=0, lt=1)

    @field_validator("p95_budget", "eval_every", "eval_window", "eval_slack")
    @classmethod
    def _durations(cls, v: str | None) -> str | None:
        if v is not None:
            _duration(v)
        return v

    def seconds(self, key: str) -> float | None:
        """A duration key in seconds (None when unset)."""
        value = getattr(self, key)
        return None if value is None else _duration(value)


class RunbookEvidence(_Strict):
    """Where the evidence lives and how old it may be."""

    loadtest: str = "reports/loadtest-latest.json"
    max_age: str = "7d"
    history: str | None = Field(
        default=None, description="Eval history: SQLite path or postgresql:// URL."
    )

    @field_validator("max_age")
    @classmethod
    def _age(cls, v: str) -> str:
        _duration(v)
        return v

    def seconds_max_age(self) -> float:
        """``max_age`` in seconds."""
        return _duration(self.max_age)


class RunbookWaiver(_Strict):
    """An accepted gap: this question of this feature is not required until ``expires``."""

    question: int = Field(ge=1, le=6)
    feature: str
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date


class RunbookConfig(_Strict):
    """The ``runbook:`` section: answers per feature, evidence, waivers (the instance count is
    ``state.instances``)."""

    evidence: RunbookEvidence = Field(default_factory=RunbookEvidence)
    features: dict[str, RunbookFeature] = Field(default_factory=dict)
    waivers: list[RunbookWaiver] = Field(default_factory=list)


class TelemetryConfig(_Strict):
    """The ``telemetry:`` section: OpenTelemetry spans and metrics from every engine call.

    Needs the ``otel`` extra (``pip install 'llmops-toolkit[otel]'``); the spans and metrics go
    to the application's own OpenTelemetry SDK set-up (the global tracer and meter providers).
    Message content is recorded only with ``capture_content: true``.
    """

    opentelemetry: bool = Field(default=False, description="Emit OpenTelemetry spans and metrics.")
    capture_content: bool = Field(
        default=False, description="Record prompts and answers on the spans (off by default)."
    )


class LlmopsConfig(_Strict):
    """The whole ``llmops.yaml``."""

    version: Literal[1] = 1
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    breaker: BreakerConfig = Field(default_factory=BreakerConfig)
    features: dict[str, FeatureConfig] = Field(default_factory=dict)
    state: StateConfig = Field(default_factory=StateConfig)
    events_log: str | None = Field(default=None, description="JSON-lines file for engine events.")
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    runbook: RunbookConfig | None = None

    def _model_for(self, feature: FeatureConfig) -> str | None:
        if feature.model:
            return feature.model
        provider = self.provider_for(feature)
        return provider[1].model if provider else None

    def provider_for(self, feature: FeatureConfig) -> tuple[str, ProviderConfig] | None:
        """The (name, provider) a feature calls, or None when no provider is configured."""
        if feature.provider is not None:
            return feature.provider, self.providers[feature.provider]
        if len(self.providers) == 1:
            return next(iter(self.providers.items()))
        return None

    def model_for(self, feature: FeatureConfig) -> str:
        model = self._model_for(feature)
        if model is None:
            raise ConfigError("no model configured for this feature")
        return model


def check_references(cfg: LlmopsConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems that span keys: features naming undefined providers, features without a model."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = sorted(cfg.providers)
    for name, feature in cfg.features.items():
        loc: tuple[str | int, ...] = ("features", name)
        if feature.provider is not None and feature.provider not in cfg.providers:
            msg = f"got '{feature.provider}', expected a provider defined under providers"
            msg += did_you_mean(
                feature.provider, known, otherwise=f" ({', '.join(known) or 'none defined'})"
            )
            problems.append(((*loc, "provider"), msg))
        elif feature.provider is None and len(cfg.providers) > 1:
            problems.append((loc, f"set provider: several are defined ({', '.join(known)})"))
        elif cfg.providers and cfg._model_for(feature) is None:
            problems.append((loc, "no model: set model on the feature or on its provider"))
        summarizer = feature.conversation.summarize_with if feature.conversation else None
        if summarizer is not None and (summarizer == name or summarizer not in cfg.features):
            others = sorted(set(cfg.features) - {name})
            msg = f"got '{summarizer}', expected another feature of this file"
            msg += did_you_mean(summarizer, others, otherwise=f" ({', '.join(others) or 'none'})")
            problems.append(((*loc, "conversation", "summarize_with"), msg))
    if cfg.runbook is not None:
        problems.extend(_runbook_references(cfg, cfg.runbook))
    return problems


def _runbook_references(
    cfg: LlmopsConfig, runbook: RunbookConfig
) -> list[tuple[tuple[str | int, ...], str]]:
    """Runbook entries and waivers must name features that exist."""
    known = sorted(cfg.features)
    hint = f" ({', '.join(known) or 'none defined'})"
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name in runbook.features:
        if name not in cfg.features:
            msg = f"got '{name}', expected a feature defined under features"
            problems.append(
                (("runbook", "features", name), msg + did_you_mean(name, known, otherwise=hint))
            )
    for i, waiver in enumerate(runbook.waivers):
        if waiver.feature not in cfg.features:
            msg = f"got '{waiver.feature}', expected a feature defined under features"
            msg += did_you_mean(waiver.feature, known, otherwise=hint)
            problems.append((("runbook", "waivers", i, "feature"), msg))
    return problems


def raw_reference_problems(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Features naming undefined providers, found in the raw mapping (any shape tolerated), so
    that ``llmops config check`` reports them with the key errors in one pass."""
    if not isinstance(data, dict):
        return []
    providers = data.get("providers")
    known = sorted(str(k) for k in providers) if isinstance(providers, dict) else []
    features = data.get("features")
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name, feature in features.items() if isinstance(features, dict) else ():
        ref = feature.get("provider") if isinstance(feature, dict) else None
        if isinstance(ref, str) and ref not in known:
            msg = f"got '{ref}', expected a provider defined under providers"
            msg += did_you_mean(ref, known, otherwise=f" ({', '.join(known) or 'none defined'})")
            problems.append((("features", str(name), "provider"), msg))
    return problems


def load_config(path: str | Path | None = None) -> LlmopsConfig:
    """Load and validate ``llmops.yaml``.

    With no path, ``./llmops.yaml`` is read if it exists; otherwise the defaults (no providers:
    commands then target the built-in mock server).
    """
    if path is None:
        if not Path(DEFAULT_CONFIG_FILE).exists():
            return LlmopsConfig()
        path = DEFAULT_CONFIG_FILE
    return load_yaml_model(
        path,
        LlmopsConfig,
        what="llmops configuration",
        check=check_references,
        raw_check=raw_reference_problems,
    )


def config_from_dict(data: dict[str, Any], *, source: str = "<dict>") -> LlmopsConfig:
    """Validate a configuration given as a mapping (same errors as the file form)."""
    return validate_model(
        data,
        LlmopsConfig,
        source=source,
        check=check_references,
        raw_check=raw_reference_problems,
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``llmops.yaml`` (for editor completion)."""
    schema = LlmopsConfig.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmops.yaml"
    return schema
