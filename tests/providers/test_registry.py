from __future__ import annotations

import pytest

from llmops.errors import ConfigError
from llmops.providers import AnthropicProvider, OpenAIProvider, make_provider


def test_openai_kind() -> None:
    assert isinstance(make_provider("openai", "http://127.0.0.1:1/v1", None), OpenAIProvider)


def test_anthropic_kind() -> None:
    assert isinstance(make_provider("anthropic", "http://127.0.0.1:1", None), AnthropicProvider)


def test_provider_names() -> None:
    names = {make_provider(k, "http://x", None).name for k in ("openai", "anthropic")}
    assert names == {"openai", "anthropic"}


def test_unknown_kind_is_a_config_error_with_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean 'anthropic'"):
        make_provider("antropic", "http://x", None)


def test_unknown_kind_lists_known_kinds() -> None:
    with pytest.raises(ConfigError, match="anthropic, openai"):
        make_provider("gemini", "http://x", None)
