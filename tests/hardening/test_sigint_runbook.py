"""Ctrl-C during ``llmops runbook check`` (a real subprocess, drills running): exit 130, the
answers given so far reported (terminal and runbook.json), marked interrupted."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from tests.runbook.conftest import base_config

from .sigint_helpers import interrupt_when

pytestmark = pytest.mark.loopback

FEATURES = 30


def test_sigint_mid_check_reports_the_answers_given_so_far(tmp_path: Path) -> None:
    data = base_config(tmp_path)
    data["features"] = {
        f"f{i}": {"fallback": {"strategy": "default", "value": "x"}} for i in range(FEATURES)
    }
    data["runbook"]["features"] = {}
    config = tmp_path / "llmops.yaml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    ended = interrupt_when(["runbook", "check", "-c", str(config)], tmp_path, r"^f0 q1: ")
    assert ended.code == 130, ended.stderr
    assert "Traceback" not in ended.stderr
    assert "the answers above are partial" in ended.stderr
    report = orjson.loads((tmp_path / "reports" / "runbook.json").read_bytes())
    assert report["interrupted"].startswith("interrupted after")
    assert report["exit_code"] == 130
    assert 1 <= len(report["features"]) < FEATURES
