"""Which model an eval runs against, resolved as ``llmops loadtest`` does.

In order: ``--feature NAME`` (a feature of llmops.yaml); ``--provider NAME`` without ``--target``
(a provider of llmops.yaml); ``--target URL --provider openai|anthropic --model M``; the suite's
own ``target:`` hint; and with none of these, the built-in mock server (spawned on loopback), so
a shipped suite runs on a fresh machine. The config's limits, retry and breaker always apply.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from llmops.config import LlmopsConfig, config_from_dict
from llmops.errors import InputError
from llmops.workflows.evals.suite import Suite

MOCK_MODEL = "mock-1"


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target: the config the engine runs with, the feature to call (None: the only
    provider), a label for reports, and the mock profile to spawn (None: a real endpoint)."""

    config: LlmopsConfig
    feature: str | None
    label: str
    mock_profile: str | None = None


def _base(config: LlmopsConfig) -> dict[str, Any]:
    data = config.model_dump(mode="json", by_alias=True, exclude={"providers", "features"})
    data["events_log"] = config.events_log
    return data


def _pick(name: str, known: list[str], what: str) -> None:
    if name not in known:
        hint = difflib.get_close_matches(name, known, n=1)
        extra = (
            f"; did you mean {hint[0]!r}?" if hint else f" ({', '.join(known) or 'none defined'})"
        )
        raise InputError(f"{what} {name!r} is not in the config{extra}")


def resolve_target(
    config: LlmopsConfig,
    suite: Suite,
    *,
    feature: str | None = None,
    provider: str | None = None,
    url: str | None = None,
    model: str | None = None,
    api_key_env: str | None = None,
    mock_profile: str = "default",
) -> Target:
    """Resolve the command-line target options (see the module docstring) to a :class:`Target`."""
    hint = suite.target
    if url is not None:
        kind = provider or "openai"
        if kind not in ("openai", "anthropic"):
            raise InputError(f"--provider {kind!r} with --target: expected openai or anthropic")
        chosen = model or hint.model
        if not chosen:
            raise InputError("--target needs --model (the model id to request)")
        env = api_key_env or ("ANTHROPIC_API_KEY" if kind == "anthropic" else "OPENAI_API_KEY")
        data = _base(config)
        data["providers"] = {
            "target": {"kind": kind, "base_url": url, "model": chosen, "api_key_env": env}
        }
        return Target(config_from_dict(data, source="--target"), None, f"{kind} {url} {chosen}")
    feature = feature or (hint.feature if provider is None else None)
    if feature is not None:
        _pick(feature, sorted(config.features), "feature")
        if model is not None:
            config = with_model(config, feature, model)
        return Target(config, feature, f"feature {feature}")
    provider = provider or hint.provider
    if provider is not None:
        _pick(provider, sorted(config.providers), "provider")
        data = config.model_dump(mode="json", by_alias=True)
        data["providers"] = {provider: data["providers"][provider]}
        data["features"] = {}
        if model or hint.model:
            data["providers"][provider]["model"] = model or hint.model
        cfg = config_from_dict(data, source="--provider")
        return Target(cfg, None, f"provider {provider} ({cfg.providers[provider].model})")
    return mock_target(config, mock_profile)


def mock_target(
    config: LlmopsConfig, profile: str = "default", base_url: str | None = None
) -> Target:
    """The built-in mock as target; ``base_url`` is filled in once the server is up."""
    data = _base(config)
    data["providers"] = {
        "mock": {
            "kind": "openai",
            "base_url": base_url or "http://127.0.0.1:9/v1",
            "model": MOCK_MODEL,
        }
    }
    # the label leaves out the profile: a mock profile plays the provider's side, not ours
    return Target(config_from_dict(data, source="mock target"), None, "built-in mock", profile)


def with_model(config: LlmopsConfig, feature: str | None, model: str) -> LlmopsConfig:
    """``config`` requesting ``model`` for ``feature`` (or for its only provider)."""
    data = config.model_dump(mode="json", by_alias=True)
    if feature is not None:
        data["features"][feature]["model"] = model
    elif len(config.providers) == 1:
        name = next(iter(config.providers))
        data["providers"][name]["model"] = model
    else:
        raise InputError("--candidate-model needs a feature or a single provider")
    return config_from_dict(data, source="candidate model")


@contextlib.contextmanager
def live_target(target: Target, *, seed: int = 0) -> Iterator[Target]:
    """Spawn the mock server when ``target`` is the mock; yield the target pointing at it."""
    if target.mock_profile is None:
        yield target
        return
    from llmops.mock import spawn_mock_server

    with spawn_mock_server(target.mock_profile, seed=seed) as url:
        yield mock_target(target.config, target.mock_profile, base_url=url + "/v1")
