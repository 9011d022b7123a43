"""Ctrl-C during ``llmops eval`` (a real subprocess): exit 130, the cases finished so far
reported and marked partial, nothing recorded in the history."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from llmops.stores.history import open_history

from .sigint_helpers import interrupt_when

pytestmark = pytest.mark.loopback


def test_sigint_mid_eval_reports_the_finished_cases_and_records_nothing(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    args = ["eval", "--concurrency", "1", "--history", str(history), "--compare"]
    ended = interrupt_when(args, tmp_path, r"\d+/\d+ trials done")
    assert ended.code == 130, ended.stderr
    assert "Traceback" not in ended.stderr
    assert "not compared and not recorded" in ended.stderr
    assert "PARTIAL (interrupted after" in ended.stdout
    report = orjson.loads((tmp_path / "reports" / "eval-support-classifier.json").read_bytes())
    assert 0 < len(report["run"]["cases"]) < 27, report["run"]["meta"]
    store = open_history(str(history))
    try:
        assert store.query("support-classifier", since=0) == []
    finally:
        store.close()
