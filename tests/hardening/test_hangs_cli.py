"""No hangs, as a user sees it: ``llmops eval`` and ``llmops loadtest`` against an upstream that
never answers end in time and say why (the cause), not only "the AI feature is unavailable"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from llmops.cli.app import app
from llmops.cli.common import run_guarded

from .hostile_upstream import hostile

pytestmark = pytest.mark.loopback

SUITE = {
    "name": "tiny",
    "prompt": "{{q}}",
    "cases": [{"id": "one", "vars": {"q": "hi"}, "checks": [{"type": "equals", "value": "x"}]}],
}
LIMITS = {"limits": {"timeout_s": 1.0, "attempt_timeout_s": 0.4}, "retry": {"max_attempts": 2}}


def llmops(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["llmops", *args])
    return run_guarded(app)


def _files(tmp_path: Path) -> tuple[Path, Path]:
    suite, config = tmp_path / "tiny.yaml", tmp_path / "llmops.yaml"
    suite.write_text(yaml.safe_dump(SUITE), encoding="utf-8")
    config.write_text(yaml.safe_dump(LIMITS), encoding="utf-8")
    return suite, config


def test_eval_against_a_hung_upstream_names_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite, config = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    with hostile("never_answers") as server:
        code = llmops(
            monkeypatch, "eval", str(suite), "--config", str(config), "--target", server.url,
            "--provider", "openai", "--model", "m", "--no-record", "--no-reports",
        )  # fmt: skip
    out = capsys.readouterr()
    assert code == 1  # no case answered
    # the attempt's own deadline, or what was left of the call's: the cause says timed out
    assert "(cause: timed out after " in " ".join((out.out + out.err).split())


def test_loadtest_against_a_hung_upstream_names_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, config = _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    with hostile("never_answers") as server:
        code = llmops(
            monkeypatch, "loadtest", "--config", str(config), "--target", server.url,
            "--provider", "openai", "--model", "m", "--levels", "2", "--requests", "2", "--yes",
        )  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())  # the verdict wraps at the terminal's width
    assert code == 0
    assert "timeout" in out and "the upstream cause behind them: timed out after " in out
