"""What a workflow aims at: a provider (or feature) of an llmops configuration, or the mock.

``llmops loadtest``, ``llmops eval`` and ``llmops runbook`` name their target the same ways,
and :func:`resolve_target` is the one place that reads them, in this order:

1. ``--target URL`` (``--provider openai|anthropic``, default openai; ``--model M``): that API,
   with the configuration's limits, retry and breaker settings;
2. ``--feature NAME``, or the suite's ``target.feature`` hint when no ``--provider`` is given:
   that feature of the configuration (its model, fallback and validation apply);
3. ``--provider NAME``, or the hint's ``provider``: that provider of the configuration;
4. a configuration the user named (``--config``) and nothing else: its only provider;
5. nothing: the built-in mock server (``--mock-profile``), spawned on loopback by
   :func:`live_target`, with the configuration's settings.

``llmops loadtest`` also names the team's own feature (``--target-function module:function``,
``--target-http URL|FILE``): :func:`resolve_target` takes it first, alone, as a target whose
``service`` is set (see :mod:`llmops.workflows.service`).

Every way ends as a :class:`Target`: a configuration and the provider to call, so the same
engine (limits, retries, breaker, fallbacks) runs as in production; or, for the team's own
feature, the function or service called end to end.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from llmops.config import FeatureConfig, LlmopsConfig, config_from_dict
from llmops.errors import InputError, did_you_mean

if TYPE_CHECKING:  # loaded (templates, JMESPath) only by a run that names one
    from llmops.workflows.service import ServiceTarget

__all__ = [
    "MOCK_MODEL",
    "Target",
    "TargetPreference",
    "is_local_url",
    "live_target",
    "mock_target",
    "resolve_target",
    "service_target",
    "target_from_config",
    "target_from_url",
    "with_model",
]

MOCK_MODEL = "mock-1"
#: the feature added to call one provider of a config that defines several
_PROVIDER_FEATURE = "__provider__"
_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


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
    """A provider to call, in a configuration.

    ``feature`` is called when set (its model, fallback and validation then apply); ``label``
    names the target in reports; ``local`` means it costs nothing (loopback, or the mock);
    ``mock_profile`` is set when the target is the built-in mock, still to be spawned;
    ``service`` when it is the team's own function or HTTP service (then ``provider`` is
    empty and ``model`` is the model the service is said to call, ``""`` when unknown).
    """

    config: LlmopsConfig
    provider: str
    feature: str | None
    label: str
    local: bool
    mock_profile: str | None = None
    service: ServiceTarget | None = None
    service_model: str = ""

    @property
    def kind(self) -> str:
        """The wire format: ``openai`` or ``anthropic``; ``function`` or ``http`` for the
        team's own feature."""
        if self.service is not None:
            return self.service.kind
        return self.config.providers[self.provider].kind

    @property
    def base_url(self) -> str:
        return self.config.providers[self.provider].base_url

    @property
    def model(self) -> str:
        """The model the calls ask for."""
        if self.service is not None:
            return self.service_model
        if self.feature is not None:
            return self.config.model_for(self.config.features[self.feature])
        model = self.config.providers[self.provider].model
        if model is None:
            raise InputError(f"provider {self.provider!r} has no model: give --model")
        return model


def _settings(base: LlmopsConfig | None) -> dict[str, Any]:
    """The limits, retry, breaker and log settings the user set in ``base`` (only those: a
    setting left at its default must stay unset, e.g. so a load test may raise the default
    concurrency limit to its level)."""
    if base is None:
        return {}
    return base.model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude={"providers", "features"}
    )


def target_from_url(
    url: str,
    kind: str,
    model: str,
    *,
    api_key_env: str | None = None,
    base: LlmopsConfig | None = None,
    label: str | None = None,
    local: bool | None = None,
) -> Target:
    """A target from ``--target URL --provider openai|anthropic --model M``.

    The settings (limits, retry, breaker) come from ``base`` when given, else the defaults.
    The key is read from ``api_key_env``, by default ``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY``.
    """
    if kind not in _KEY_ENV:
        raise InputError(f"--provider: got {kind!r}, expected openai or anthropic with --target")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--target: got {url!r}, expected a URL starting with http:// or https://")
    return _url_target(url, kind, model, api_key_env or _KEY_ENV[kind], base, label, local)


def _url_target(
    url: str,
    kind: str,
    model: str,
    api_key_env: str | None,
    base: LlmopsConfig | None,
    label: str | None,
    local: bool | None,
) -> Target:
    provider = {"kind": kind, "base_url": url, "model": model, "api_key_env": api_key_env}
    data = {**_settings(base), "providers": {kind: provider}}
    return Target(
        config_from_dict(data, source="--target"),
        kind,
        None,
        label or f"{kind} API at {url} (model {model})",
        is_local_url(url) if local is None else local,
    )


def _known(name: str, known: list[str], what: str) -> None:
    if name not in known:
        extra = did_you_mean(name, known, otherwise=f" (defined: {', '.join(known) or 'none'})")
        raise InputError(f"--{what}: no {what} {name!r} in the configuration{extra}")


def target_from_config(
    config: LlmopsConfig,
    *,
    feature: str | None = None,
    provider: str | None = None,
    model: str | None = None,
) -> Target:
    """A feature (``--feature``), a provider (``--provider``), or the only provider configured;
    ``model`` overrides the model asked for."""
    if feature is not None:
        _known(feature, sorted(config.features), "feature")
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
        _known(provider, sorted(config.providers), "provider")
        name = provider
        label = f"provider {name} ({config.providers[name].base_url})"
        if len(config.providers) > 1:
            features = {**config.features, _PROVIDER_FEATURE: FeatureConfig(provider=name)}
            config = config.model_copy(update={"features": features})
            feature = _PROVIDER_FEATURE
    target = Target(config, name, feature, label, is_local_url(config.providers[name].base_url))
    if model is not None:
        target = replace(target, config=with_model(config, feature, model))
    target.model  # noqa: B018  (fail now, not at the first call, when no model is set)
    return target


def mock_target(
    base: LlmopsConfig | None = None, profile: str = "default", base_url: str | None = None
) -> Target:
    """The built-in mock as target; ``base_url`` is filled in by :func:`live_target`."""
    url = base_url or "http://127.0.0.1:9/v1"
    # no key: a real one in the environment must not travel even to a loopback mock
    target = _url_target(url, "openai", MOCK_MODEL, None, base, None, True)
    # the label leaves out the profile: a mock profile plays the provider's side, not ours
    return replace(target, label="built-in mock", mock_profile=profile)


@contextlib.contextmanager
def live_target(target: Target, *, seed: int = 0) -> Iterator[Target]:
    """Spawn the mock server when ``target`` is the mock; yield the target pointing at it."""
    if target.mock_profile is None:
        yield target
        return
    from llmops.mock import spawn_mock_server

    with spawn_mock_server(target.mock_profile, seed=seed) as url:
        live = mock_target(target.config, target.mock_profile, base_url=url + "/v1")
        yield replace(live, label=target.label)


def with_model(config: LlmopsConfig, feature: str | None, model: str) -> LlmopsConfig:
    """``config`` asking for ``model`` for ``feature`` (or for its only provider)."""
    data = config.model_dump(mode="json", by_alias=True)
    if feature is not None:
        data["features"][feature]["model"] = model
    elif len(config.providers) == 1:
        data["providers"][next(iter(config.providers))]["model"] = model
    else:
        raise InputError("a model override needs a feature or a single provider")
    return config_from_dict(data, source="model override")


def service_target(service: ServiceTarget, *, model: str | None = None) -> Target:
    """The team's own function or HTTP service as target, called end to end (no engine in
    front: its own limits and retries are what is measured); ``model`` is the model it calls,
    if the user says (the cost guard prices the run with it). Never ``local``: even a
    loopback service may call a paid API."""
    config = config_from_dict({}, source=f"--target-{service.kind}")
    return Target(
        config, "", None, service.label, False, service=service, service_model=model or ""
    )


class TargetPreference(Protocol):
    """A target preferred by what is run (an eval suite's ``target:``); options override it."""

    @property
    def feature(self) -> str | None: ...

    @property
    def provider(self) -> str | None: ...

    @property
    def model(self) -> str | None: ...


def resolve_target(
    config: LlmopsConfig | None = None,
    *,
    url: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    feature: str | None = None,
    api_key_env: str | None = None,
    hint: TargetPreference | None = None,
    mock_profile: str = "default",
    config_named: bool = False,
    service: ServiceTarget | None = None,
) -> Target:
    """The :class:`Target` the options name, by the rules in the module docstring.

    ``config`` gives the providers and features to pick from and the settings every target
    runs with; ``config_named`` says the user named it (``--config``), which makes its only
    provider the target when nothing else is named. The mock target is not spawned here:
    enter :func:`live_target` with the result. Contradictory or dangling options raise
    :class:`~llmops.errors.InputError` naming them. ``service`` (the team's own function or
    HTTP service, loaded) is the target alone: ``model`` then names the model it calls.
    """
    if service is not None:
        others = [n for n, v in (("--target", url), ("--feature", feature),
                                ("--provider", provider), ("--api-key-env", api_key_env)) if v]  # fmt: skip
        what = f"--target-{service.kind}"
        if others:
            raise InputError(f"{what}: give one target, not {what} and {', '.join(others)}")
        if config is not None:
            raise InputError(
                f"--config: goes with an API target; {what} is called end to end, its own "
                "limits and retries are what the load test measures"
            )
        return service_target(service, model=model)
    if url is not None:
        if feature is not None:
            raise InputError("--target: give either --target or --feature, not both")
        chosen = model or (hint.model if hint is not None else None)
        if not chosen:
            raise InputError(
                "--target: give --model too (and --provider openai|anthropic; default openai)"
            )
        return target_from_url(
            url, provider or "openai", chosen, api_key_env=api_key_env, base=config
        )
    if api_key_env is not None:
        raise InputError("--api-key-env: goes with --target (a configured provider names its own)")
    if hint is not None and provider is None:
        feature = feature or hint.feature
    if hint is not None and feature is None and (provider or hint.provider):
        provider = provider or hint.provider
        model = model or hint.model
    if feature is not None or provider is not None or config_named:
        if config is None:
            named = "--feature" if feature is not None else "--provider"
            raise InputError(f"{named}: goes with --config (or --target URL for --provider)")
        return target_from_config(config, feature=feature, provider=provider, model=model)
    if model is not None:
        raise InputError("--model: goes with --target, --feature or --provider")
    return mock_target(config, mock_profile)
