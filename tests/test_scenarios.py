"""The shipped scenarios are found in one place, by kind, and shipped files by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.scenarios import KINDS, scenarios_dir, shipped_file, shipped_names
from llmops.workflows.evals.loader import resolve_suite_path
from llmops.workflows.loadtest.prompts import load_prompts

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", KINDS)
def test_scenarios_dir_is_the_repository_copy_when_not_installed_as_a_wheel(kind: str) -> None:
    assert scenarios_dir(kind) == ROOT / "scenarios" / kind


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="expected one of evals, loadtest, logs, mock"):
        scenarios_dir("prompts")


def test_shipped_names_and_files() -> None:
    assert "default" in shipped_names("mock")
    assert shipped_file("mock", "flaky") == ROOT / "scenarios" / "mock" / "flaky.yaml"
    assert (
        shipped_file("loadtest", "prompts", ".jsonl") == ROOT / "scenarios/loadtest/prompts.jsonl"
    )


@pytest.mark.parametrize("name", ["", "no-such", "flaky.yaml", "mock/flaky", "../mock/flaky"])
def test_what_is_not_a_shipped_name(name: str) -> None:
    assert shipped_file("mock", name) is None


def test_eval_suites_and_loadtest_prompts_take_a_shipped_name() -> None:
    assert resolve_suite_path("support-classifier") == scenarios_dir("evals") / (
        "support-classifier.yaml"
    )
    prompts = load_prompts("prompts")
    assert prompts.source == str(scenarios_dir("loadtest") / "prompts.jsonl")
    assert len(prompts) > 0
