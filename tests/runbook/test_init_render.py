"""``runbook init`` keeps what is there; ``runbook render`` writes the on-call runbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from llmops.config import config_from_dict, load_config
from llmops.workflows.runbook.init import add_runbook_section
from llmops.workflows.runbook.render import render_runbook
from tests.runbook.conftest import run_check
from tests.runbook.test_cli import llmops

CONFIG = """\
# our service
providers:
  main: {kind: openai, base_url: "http://127.0.0.1:8787/v1", model: m}  # staging gateway
features:
  summarize: {fallback: {strategy: error, message: try later}}
  classify: {}
"""


def test_init_adds_a_commented_section_for_every_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    assert llmops(monkeypatch, "runbook", "init", "--config", str(path)) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(CONFIG)  # every byte that was there, comments included
    assert "# TODO: what the user sees when the model API is down" in text
    cfg = load_config(path)
    assert cfg.runbook is not None and list(cfg.runbook.features) == ["summarize", "classify"]
    assert cfg.runbook.features["classify"].eval_every == "24h"


def test_init_never_overwrites_an_answer_and_adds_only_missing_features() -> None:
    first, added = add_runbook_section(CONFIG, ["summarize"])
    answered = first.replace("when_down: null ", "when_down: A banner says so ", 1)
    more = answered.replace("  classify: {}\n", "  classify: {}\n  tag: {}\n")
    second, added = add_runbook_section(more, ["summarize", "classify", "tag"])
    assert added == ["classify", "tag"]
    cfg = config_from_dict(yaml.safe_load(second))
    assert cfg.runbook is not None
    assert cfg.runbook.features["summarize"].when_down == "A banner says so"
    assert list(cfg.runbook.features) == ["summarize", "classify", "tag"]
    assert add_runbook_section(second, ["summarize", "classify", "tag"]) == (second, [])


def test_render_writes_each_answer_with_what_to_do_and_marks_failures(
    config: dict[str, Any],
) -> None:
    config["runbook"]["features"]["classify"]["peak_concurrency"] = 50
    result = run_check(config)
    text = render_runbook(config_from_dict(config), result)
    assert text.count("### 1. What does the user see if the model API is down?") == 2
    classify = text.split("## classify")[1].split("## summarize")[0]
    assert "*Status: FAILED* — peak not reached" in classify
    assert "engine.open_circuit('main')" in classify and "engine.close_circuit('main')" in classify
    summarize = text.split("## summarize")[1]
    assert "engine.reprocess_queue('summarize').pending()" in summarize  # how to drain the queue
    assert "*Status: verified*" in summarize and "FAILED" not in summarize
    assert "history.sqlite3" in summarize  # where the eval history is


def test_render_command_writes_the_file(
    config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    out = tmp_path / "RUNBOOK.md"
    code = llmops(
        monkeypatch, "runbook", "render", "--config", str(path), "--output", str(out), "--no-drills"
    )
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("# Runbook")
