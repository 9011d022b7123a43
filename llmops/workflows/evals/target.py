"""Which model an eval runs against, named as for ``llmops loadtest``, plus the suite's hints.

In order: ``--feature NAME`` (a feature of llmops.yaml); ``--provider NAME`` without ``--target``
(a provider of llmops.yaml); ``--target URL --provider openai|anthropic --model M``; the suite's
own ``target:`` hint; and with none of these, the built-in mock server (spawned on loopback), so
a shipped suite runs on a fresh machine. The config's limits, retry and breaker always apply.
"""

from __future__ import annotations

from llmops.config import LlmopsConfig
from llmops.errors import InputError
from llmops.workflows.evals.suite import Suite
from llmops.workflows.target import Target, mock_target, target_from_config, target_from_url


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
        chosen = model or hint.model
        if not chosen:
            raise InputError("--target needs --model (the model id to request)")
        target = target_from_url(
            url, provider or "openai", chosen, api_key_env=api_key_env, base=config
        )
        return target
    feature = feature or (hint.feature if provider is None else None)
    if feature is not None:
        return target_from_config(config, feature=feature, model=model)
    provider = provider or hint.provider
    if provider is not None:
        return target_from_config(config, provider=provider, model=model or hint.model)
    return mock_target(config, mock_profile)
