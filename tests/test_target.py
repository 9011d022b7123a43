"""Target resolution shared by loadtest and eval."""

from __future__ import annotations

import pytest

from llmops import InputError, config_from_dict
from llmops.workflows.target import mock_target, target_from_config, target_from_url

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
