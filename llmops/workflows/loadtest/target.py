"""What a load test aims at: a provider (or feature) of an llmops configuration.

Every way of naming a target ends as a :class:`Target`: an :class:`~llmops.LlmopsConfig` with
the provider to call, so the same engine (limits, retries, breaker, fallbacks) is used as in
production; ``--raw`` calls the same provider without the engine.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from llmops.config import FeatureConfig, LlmopsConfig, config_from_dict
from llmops.errors import InputError

__all__ = ["Target", "is_local_url", "level_config", "target_from_config", "target_from_url"]

_LOADTEST_FEATURE = "__loadtest__"


def is_local_url(url: str) -> bool:
    """True for loopback hosts (``localhost``, 127.0.0.0/8, ``::1``): no money is spent there."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Target:
    """A provider to load, in a configuration; ``feature`` is called when set (its fallback
    and validation then apply). ``label`` names it in reports; ``local`` means it costs
    nothing (loopback, or the built-in mock)."""

    config: LlmopsConfig
    provider: str
    feature: str | None
    label: str
    local: bool

    @property
    def kind(self) -> str:
        """The wire format: ``openai`` or ``anthropic``."""
        return self.config.providers[self.provider].kind

    @property
    def base_url(self) -> str:
        return self.config.providers[self.provider].base_url

    @property
    def model(self) -> str:
        """The model the calls ask for."""
        if self.feature is not None:
            return self.config.model_for(self.config.features[self.feature])
        model = self.config.providers[self.provider].model
        if model is None:
            raise InputError(f"provider {self.provider!r} has no model: give --model")
        return model


def target_from_url(
    url: str,
    kind: str,
    model: str,
    *,
    api_key_env: str | None = None,
    label: str | None = None,
    local: bool | None = None,
) -> Target:
    """A target from ``--target URL --provider openai|anthropic --model M`` (default limits)."""
    if kind not in ("openai", "anthropic"):
        raise InputError(f"--provider: got {kind!r}, expected openai or anthropic with --target")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--target: got {url!r}, expected a URL starting with http:// or https://")
    provider: dict[str, Any] = {"kind": kind, "base_url": url, "model": model}
    if api_key_env:
        provider["api_key_env"] = api_key_env
    config = config_from_dict({"providers": {kind: provider}}, source="--target")
    return Target(
        config,
        kind,
        None,
        label or f"{kind} API at {url} (model {model})",
        is_local_url(url) if local is None else local,
    )


def target_from_config(
    config: LlmopsConfig, *, feature: str | None = None, provider: str | None = None
) -> Target:
    """A target from ``--config``: a feature (``--feature``), a provider (``--provider``), or
    the only provider configured."""
    if feature is not None:
        if feature not in config.features:
            import difflib

            hint = difflib.get_close_matches(feature, sorted(config.features), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise InputError(f"--feature: no feature {feature!r} in the configuration{extra}")
        found = config.provider_for(config.features[feature])
        if found is None:
            raise InputError(f"--feature {feature!r}: it names no provider")
        name = found[0]
        label = f"feature {feature} (provider {name}, {config.providers[name].base_url})"
    else:
        if provider is None:
            if len(config.providers) != 1:
                names = ", ".join(sorted(config.providers)) or "none"
                raise InputError(f"--config: name a --feature or a --provider (providers: {names})")
            provider = next(iter(config.providers))
        if provider not in config.providers:
            names = ", ".join(sorted(config.providers)) or "none"
            raise InputError(f"--provider: no provider {provider!r} in the configuration ({names})")
        name = provider
        label = f"provider {name} ({config.providers[name].base_url})"
        if len(config.providers) > 1:
            features = {**config.features, _LOADTEST_FEATURE: FeatureConfig(provider=name)}
            config = config.model_copy(update={"features": features})
            feature = _LOADTEST_FEATURE
    target = Target(config, name, feature, label, is_local_url(config.providers[name].base_url))
    target.model  # noqa: B018  (fail now, not at the first call, when no model is set)
    return target


def level_config(target: Target, load: float, *, open_loop: bool) -> LlmopsConfig:
    """The engine configuration for one level.

    The engine's concurrency limit must not be what the ladder measures, so unless the user's
    configuration sets ``limits.max_concurrency`` (then that limit is the point of the test)
    it is raised to the level (closed loop) or to what the offered rate may need (open loop).
    """
    limits = target.config.limits
    if "max_concurrency" in limits.model_fields_set:
        return target.config
    need = math.ceil(load) if not open_loop else max(64, math.ceil(load * limits.timeout_s))
    update: dict[str, Any] = {"max_concurrency": max(limits.max_concurrency, need)}
    if open_loop and "queue_limit" not in limits.model_fields_set:
        update["queue_limit"] = max(limits.queue_limit, update["max_concurrency"])
    return target.config.model_copy(update={"limits": limits.model_copy(update=update)})
