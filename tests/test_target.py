"""Target resolution shared by loadtest and eval (and the runbook)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmops import InputError, config_from_dict
from llmops.workflows.target import (
    mock_target,
    resolve_target,
    target_from_config,
    target_from_url,
)

CONFIG = config_from_dict(
    {
        "providers": {
            "oa": {"kind": "openai", "base_url": "https://api.example.com/v1", "model": "m1"},
            "an": {"kind": "anthropic", "base_url": "http://127.0.0.1:8/", "model": "c1"},
        },
        "limits": {"max_concurrency": 7},
        "features": {"summarize": {"provider": "an", "model": "c2"}},
    }
)


def test_url_target_reads_the_conventional_key_variable_and_keeps_base_settings() -> None:
    target = target_from_url("https://api.example.com/v1", "openai", "gpt", base=CONFIG)
    assert target.config.providers["openai"].api_key_env == "OPENAI_API_KEY"
    assert target.config.limits.max_concurrency == 7
    assert not target.local


def test_the_mock_target_sends_no_key_and_costs_nothing() -> None:
    target = mock_target(CONFIG, "flaky")
    assert target.config.providers[target.provider].api_key_env is None
    assert target.local and target.mock_profile == "flaky"


def test_a_feature_target_calls_its_provider_and_model() -> None:
    target = target_from_config(CONFIG, feature="summarize")
    assert (target.provider, target.model, target.local) == ("an", "c2", True)


def test_one_provider_of_several_is_called_through_a_feature_of_its_own() -> None:
    target = target_from_config(CONFIG, provider="oa", model="m9")
    assert target.feature is not None and target.provider == "oa"
    assert target.model == "m9"


def test_a_misspelt_feature_gets_a_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean 'summarize'"):
        target_from_config(CONFIG, feature="sumarize")


def test_settings_left_at_their_defaults_stay_unset_in_a_derived_target() -> None:
    target = mock_target(CONFIG)
    limits = target.config.limits
    assert limits.max_concurrency == 7 and "max_concurrency" in limits.model_fields_set
    assert "queue_limit" not in limits.model_fields_set
    assert "max_concurrency" not in mock_target().config.limits.model_fields_set


# --- resolve_target: the one resolver behind loadtest, eval and the runbook ---------------------


@dataclass
class Hint:
    """An eval suite's ``target:`` (the resolver takes anything with these three fields)."""

    feature: str | None = None
    provider: str | None = None
    model: str | None = None


def test_a_url_target_defaults_to_openai_and_keeps_the_configs_settings() -> None:
    target = resolve_target(CONFIG, url="https://api.example.com/v1", model="gpt")
    assert (target.kind, target.model, target.config.limits.max_concurrency) == ("openai", "gpt", 7)


def test_a_url_target_takes_its_model_from_the_hint_unless_given() -> None:
    hinted = resolve_target(
        CONFIG, url="http://127.0.0.1:5/", provider="anthropic", hint=Hint(model="h")
    )
    assert (hinted.kind, hinted.model) == ("anthropic", "h")
    given = resolve_target(CONFIG, url="http://127.0.0.1:5/", model="g", hint=Hint(model="h"))
    assert given.model == "g"


def test_the_hints_feature_is_used_when_no_provider_is_named() -> None:
    assert resolve_target(CONFIG, hint=Hint(feature="summarize")).feature == "summarize"
    named = resolve_target(CONFIG, provider="oa", hint=Hint(feature="summarize"))
    assert (named.provider, named.model) == ("oa", "m1")


def test_the_hints_provider_and_model_apply_together_and_options_override_them() -> None:
    hinted = resolve_target(CONFIG, hint=Hint(provider="oa", model="m7"))
    assert (hinted.provider, hinted.model) == ("oa", "m7")
    assert resolve_target(CONFIG, model="m8", hint=Hint(provider="oa", model="m7")).model == "m8"


def test_a_model_hint_alone_names_no_target() -> None:
    assert resolve_target(CONFIG, hint=Hint(model="m7")).mock_profile == "default"


def test_nothing_named_is_the_mock_with_the_configs_settings() -> None:
    target = resolve_target(CONFIG, mock_profile="flaky")
    assert target.mock_profile == "flaky" and target.config.limits.max_concurrency == 7


def test_a_named_config_alone_means_its_only_provider() -> None:
    single = config_from_dict(
        {"providers": {"p": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}}}
    )
    target = resolve_target(single, config_named=True)
    assert (target.provider, target.mock_profile) == ("p", None)
    with pytest.raises(InputError, match="name a --feature or a --provider"):
        resolve_target(CONFIG, config_named=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "http://127.0.0.1:9/v1"}, "--target: give --model too"),
        ({"url": "http://127.0.0.1:9/v1", "model": "m", "feature": "summarize"}, "not both"),
        ({"url": "http://127.0.0.1:9/v1", "model": "m", "provider": "azure"}, "openai or anthropic"),
        ({"api_key_env": "MY_KEY"}, "--api-key-env: goes with --target"),
        ({"model": "m"}, "--model: goes with --target"),
        ({"provider": "nope"}, "no provider 'nope'"),
    ],
)  # fmt: skip
def test_contradictory_or_dangling_options_are_refused(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        resolve_target(CONFIG, **kwargs)


def test_without_a_config_a_feature_is_refused() -> None:
    with pytest.raises(InputError, match="--feature: goes with --config"):
        resolve_target(None, feature="summarize")


@pytest.mark.parametrize("command", ["loadtest", "eval"])
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target", "http://127.0.0.1:9/v1", "--model", "m", "--feature", "f"], "not both"),
        (["--api-key-env", "KEY"], "--api-key-env: goes with --target"),
        (["--target", "ftp://x", "--model", "m"], "http:// or https://"),
    ],
)
def test_both_commands_name_targets_through_the_one_resolver(
    command: str, argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from llmops.cli.app import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [command, *argv])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "reports").exists()
