"""The ``llmops.yaml`` schema and its loading.

Validated with pydantic v2 (``extra="forbid"`` everywhere, so a misspelt key is an error with a
"did you mean"). API keys are never in the file: a provider names the *environment variable* that
holds its key. Model ids may be pinned through the environment: ``model: ${SUMMARIZE_MODEL:-gpt-4o}``.

The sections live in modules of this package (:mod:`~llmops.config.upstream`: providers, limits,
retry, breaker, state, telemetry; :mod:`~llmops.config.features`; :mod:`~llmops.config.runbook`;
:mod:`~llmops.config.routes`); every public name is importable from ``llmops.config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from llmops.config.base import Duration, Strict, expand_model_id, unknown_name
from llmops.config.features import (
    CachedFallback,
    ConversationConfig,
    DefaultFallback,
    ErrorFallback,
    Fallback,
    FeatureConfig,
    QueueFallback,
    ValidationConfig,
)
from llmops.config.routes import Priority, RateLimits, route_problems
from llmops.config.runbook import (
    RunbookConfig,
    RunbookEvidence,
    RunbookFeature,
    RunbookWaiver,
    runbook_references,
)
from llmops.config.upstream import (
    MAX_SECONDS,
    BreakerConfig,
    LimitsConfig,
    ProviderConfig,
    RetryConfig,
    StateConfig,
    TelemetryConfig,
)
from llmops.defaults import DEFAULT_CONFIG_FILE as DEFAULT_CONFIG_FILE  # re-exported
from llmops.errors import ConfigError
from llmops.yamlload import load_yaml_model, validate_model

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "MAX_SECONDS",
    "BreakerConfig",
    "CachedFallback",
    "ConversationConfig",
    "DefaultFallback",
    "Duration",
    "ErrorFallback",
    "Fallback",
    "FeatureConfig",
    "LimitsConfig",
    "LlmopsConfig",
    "Priority",
    "ProviderConfig",
    "QueueFallback",
    "RateLimits",
    "RetryConfig",
    "RunbookConfig",
    "RunbookEvidence",
    "RunbookFeature",
    "RunbookWaiver",
    "StateConfig",
    "TelemetryConfig",
    "ValidationConfig",
    "check_references",
    "config_from_dict",
    "expand_model_id",
    "json_schema",
    "load_config",
    "raw_reference_problems",
]


class LlmopsConfig(Strict):
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
            msg = unknown_name(feature.provider, known, "a provider defined under providers")
            problems.append(((*loc, "provider"), msg))
        elif feature.routes:
            models = {n: {m for m in (p.model, *p.models) if m} for n, p in cfg.providers.items()}
            problems.extend(route_problems(name, feature.routes, models))
        elif feature.provider is None and len(cfg.providers) > 1:
            problems.append((loc, f"set provider: several are defined ({', '.join(known)})"))
        elif cfg.providers and cfg._model_for(feature) is None:
            problems.append((loc, "no model: set model on the feature or on its provider"))
        problems.extend(request_option_problems(cfg, name, feature))
        summarizer = feature.conversation.summarize_with if feature.conversation else None
        if summarizer is not None and (summarizer == name or summarizer not in cfg.features):
            others = sorted(set(cfg.features) - {name})
            msg = unknown_name(summarizer, others, "another feature of this file", none="none")
            problems.append(((*loc, "conversation", "summarize_with"), msg))
    if cfg.runbook is not None:
        problems.extend(runbook_references(cfg.features, cfg.runbook))
    return problems


def request_option_problems(
    cfg: LlmopsConfig, name: str, feature: FeatureConfig
) -> list[tuple[tuple[str | int, ...], str]]:
    """A feature's declared tools and response format, checked as each provider it may call
    (its provider, or each of its routes') would check them."""
    from llmops.providers.tools import response_format_problem, tool_problem_at

    if feature.tools is None and feature.response_format is None:
        return []
    loc: tuple[str | int, ...] = ("features", name)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    fmt = feature.response_format
    if fmt is not None and (problem := response_format_problem(fmt)):
        problems.append(((*loc, "response_format"), problem))
    kinds: dict[str, str] = {}  # provider kind -> a provider of that kind the feature calls
    for route in feature.routes:
        provider = route.partition("/")[0]
        if provider in cfg.providers:
            kinds.setdefault(cfg.providers[provider].kind, provider)
    known = feature.provider is None or feature.provider in cfg.providers
    if not feature.routes and known and (found := cfg.provider_for(feature)) is not None:
        kinds[found[1].kind] = found[0]
    for kind, provider in sorted(kinds.items()):
        if (found_tool := tool_problem_at(kind, feature.tools)) is not None:
            where, what = found_tool
            problems.append(
                ((*loc, *where), f"{what} (as provider '{provider}', {kind}, takes tools)")
            )
            break
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
            msg = unknown_name(ref, known, "a provider defined under providers")
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
