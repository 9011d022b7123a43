"""llmops.yaml: validation errors name file, line, key, value and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops import ConfigError, load_config
from llmops.config import json_schema

GOOD = """\
providers:
  main:
    kind: openai
    base_url: http://127.0.0.1:8000/v1
    model: ${LLMOPS_TEST_MODEL:-mock-1}
    api_key_env: OPENAI_API_KEY
limits: {requests_per_minute: 600, tokens_per_minute: 100000, max_concurrency: 8}
features:
  summarize:
    fallback: {strategy: default, value: "unavailable"}
    validation: {json: true}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "llmops.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def test_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.providers["main"].model == "mock-1"
    assert cfg.features["summarize"].validation is not None
    assert cfg.retry.max_attempts == 4


def test_model_is_pinned_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPS_TEST_MODEL", "gpt-4o-2024-08-06")
    assert load_config(write(tmp_path, GOOD)).providers["main"].model == "gpt-4o-2024-08-06"


def test_misspelt_key_gets_line_and_suggestion(tmp_path: Path) -> None:
    bad = GOOD.replace("max_concurrency", "max_concurency")
    [line] = problems(tmp_path, bad)
    assert line.startswith(f"{tmp_path / 'llmops.yaml'}:7: limits.max_concurency: unknown key")
    assert "did you mean 'max_concurrency'?" in line


def test_bad_value_names_value_and_expectation(tmp_path: Path) -> None:
    [line] = problems(tmp_path, GOOD.replace("requests_per_minute: 600", "requests_per_minute: -5"))
    assert ":7: limits.requests_per_minute: got -5, expected greater than 0" in line


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    bad = GOOD.replace("kind: openai", "kind: openia").replace(
        "strategy: default", "strategy: cache"
    )
    lines = problems(tmp_path, bad)
    assert len(lines) == 2
    assert ":3: providers.main.kind: got 'openia'" in lines[0]
    assert ":10: features.summarize.fallback" in lines[1]


def test_api_key_in_place_of_a_variable_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    [line] = problems(tmp_path, GOOD.replace("OPENAI_API_KEY", "sk-live-abcdef123456"))
    assert "providers.main.api_key_env" in line
    assert "sk-live-abcdef123456" not in line


def test_unknown_provider_reference_suggests_the_defined_one(tmp_path: Path) -> None:
    bad = GOOD.replace(
        "    fallback: {strategy: default", "    provider: mian\n    fallback: {strategy: default"
    )
    [line] = problems(tmp_path, bad)
    assert ":10: features.summarize.provider: got 'mian'" in line
    assert "did you mean 'main'?" in line


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    [line] = problems(tmp_path, "limits:\n  a: [1, 2\n")
    assert "llmops.yaml:3: invalid YAML" in line


def test_duplicate_keys_are_an_error(tmp_path: Path) -> None:
    [line] = problems(tmp_path, "limits:\n  max_concurrency: 1\n  max_concurrency: 2\n")
    assert ":3: limits.max_concurrency: duplicate key" in line


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_schema_describes_the_top_level_keys() -> None:
    schema = json_schema()
    assert {"providers", "limits", "retry", "breaker", "features"} <= set(schema["properties"])


def test_credentials_in_a_base_url_are_refused_and_not_echoed(tmp_path: Path) -> None:
    bad = GOOD.replace("http://127.0.0.1:8000/v1", "http://user:sk-secret-123@127.0.0.1:8000/v1")
    [line] = problems(tmp_path, bad)
    assert "providers.main.base_url" in line and "without user:password@" in line
    assert "sk-secret-123" not in line
