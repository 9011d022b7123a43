"""``llmops runbook check|render|init`` in-process: exit codes, reports, bad configuration."""

from __future__ import annotations

import datetime as dt
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from llmops.cli.app import app
from llmops.cli.common import run_guarded
from tests.runbook.conftest import DAY, eval_run, loadtest_report, write_history, write_loadtest


def llmops(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["llmops", *args])
    return run_guarded(app)


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_check_writes_json_junit_and_markdown_and_exits_0_when_ready(
    config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the command dates evidence by the wall clock: write evidence of today
    (tmp_path / "history.sqlite3").unlink()
    write_loadtest(
        tmp_path / "loadtest.json",
        loadtest_report(started_at=dt.datetime.now(dt.timezone.utc).isoformat()),
    )
    write_history(
        tmp_path / "history.sqlite3",
        [eval_run(i, time.time() - (3 - i) * DAY + 600) for i in range(3)],
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    cfg = write_config(tmp_path / "llmops.yaml", config)
    reports = tmp_path / "reports"
    code = llmops(monkeypatch, "runbook", "check", "--config", str(cfg), "--reports", str(reports))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ready: 12 pass" in out
    data = orjson.loads((reports / "runbook.json").read_bytes())
    assert (data["schema"], data["schema_version"], data["ready"], data["exit_code"]) == (
        "llmops.runbook",
        1,
        True,
        0,
    )
    assert [a["status"] for f in data["features"] for a in f["answers"]] == ["pass"] * 12
    suite = ET.parse(reports / "runbook-junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "12" and suite.get("failures") == "0"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## llmops runbook: ready")
    assert "| classify | ✅ pass |" in text


def test_check_exits_1_with_what_to_fix_in_every_report(
    config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    del config["runbook"]["features"]["summarize"]["when_down"]
    cfg = write_config(tmp_path / "llmops.yaml", config)
    reports = tmp_path / "reports"
    code = llmops(monkeypatch, "runbook", "check", "--config", str(cfg), "--reports", str(reports),
                  "--question", "1", "--feature", "summarize")  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "fix: set runbook.features.summarize.when_down" in out
    suite = ET.parse(reports / "runbook-junit.xml").getroot().find("testsuite")
    assert suite is not None
    failure = suite.find("testcase/failure")
    assert failure is not None and "no sentence saying what the user sees" in (
        failure.get("message") or ""
    )
    assert "set runbook.features.summarize.when_down" in (reports / "runbook.md").read_text()


def test_a_waived_answer_is_a_skipped_junit_case(
    config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del config["runbook"]["features"]["summarize"]["when_down"]
    config["runbook"]["waivers"] = [{"question": 1, "feature": "summarize", "reason": "r",
                                     "owner": "o", "expires": "2999-01-01"}]  # fmt: skip
    cfg = write_config(tmp_path / "llmops.yaml", config)
    reports = tmp_path / "reports"
    code = llmops(monkeypatch, "runbook", "check", "--config", str(cfg), "--reports", str(reports),
                  "--question", "1", "--feature", "summarize")  # fmt: skip
    assert code == 0
    suite = ET.parse(reports / "runbook-junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "1"


BAD = """\
providers:
  main: {kind: openai, base_url: "http://127.0.0.1:8787/v1", model: m}
features:
  summarize: {}
runbook:
  features:
    summarize:
      when_down: ok
      peak_concurency: 10
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BAD,
            "llmops.yaml:9: runbook.features.summarize.peak_concurency: unknown key; did you mean 'peak_concurrency'?",
        ),
        (
            BAD.replace("    summarize:\n", "    sumarize:\n").replace(
                "      peak_concurency: 10\n", ""
            ),
            "llmops.yaml:8: runbook.features.sumarize: got 'sumarize', expected a feature defined under features; did you mean 'summarize'?",
        ),
        (
            BAD.replace("peak_concurency: 10", "p95_budget: 2 seconds"),
            "llmops.yaml:9: runbook.features.summarize.p95_budget: got '2 seconds', expected a duration such as 90s",
        ),
        (
            BAD.replace("      peak_concurency: 10\n", "")
            + "  waivers:\n    - {question: 3, feature: summarize, reason: r, owner: o, expires: 2026-13-01}\n",
            "llmops.yaml:10: runbook.waivers[0].expires: got '2026-13-01', expected a valid date",
        ),
        (
            BAD.replace("  features:\n", "  waiver: []\n  features:\n"),
            "llmops.yaml:6: runbook.waiver: unknown key; did you mean 'waivers'?",
        ),
    ],
)
def test_bad_runbook_configuration_exits_2_with_file_line_and_suggestion(
    text: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("llmops.yaml").write_text(text, encoding="utf-8")
    code = llmops(monkeypatch, "runbook", "check", "--no-reports")
    err = capsys.readouterr().err
    assert code == 2
    assert expected in " ".join(err.split())


def test_a_bad_question_option_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("llmops.yaml").write_text(BAD.replace("      peak_concurency: 10\n", ""), encoding="utf-8")
    assert llmops(monkeypatch, "runbook", "check", "--question", "7", "--no-reports") == 2
    assert "--question: got '7', expected numbers 1 to 6" in capsys.readouterr().err
