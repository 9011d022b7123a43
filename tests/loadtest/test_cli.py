"""``llmops loadtest`` as a user runs it: exit codes, one-line errors, reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops.cli.app import app


def llmops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmops", "loadtest", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--levels", "10,abc"], "--levels"),
        (["--levels", ""], "--levels: got ''"),
        (["--rates", ""], "--rates: got ''"),
        (["--feature", "chat"], "--feature: goes with --config"),
        (["--model", "m"], "--model: goes with --target"),
        (["--api-key-env", "KEY"], "--api-key-env: goes with --target"),
        (["--levels", "50,10"], "increasing order"),
        (["--levels", "2", "--rates", "5"], "not both"),
        (["--requests", "10", "--duration", "5s"], "not both"),
        (["--duration", "soon"], "--duration"),
        (["--slo", "p95<=2x"], "--slo"),
        (["--slo", ""], "--slo"),
        (["--slo", "p95<=500"], "a latency needs its unit, ms or s"),
        (["--levels", "2,4", "--slo", "success>=99%", "--peak", "3"], "--peak"),
        (["--stop-on-success-below", "1.5"], "--stop-on-success-below"),
        (["--target", "http://127.0.0.1:9/v1"], "--provider"),
        (["--prompts", "does-not-exist.jsonl"], "cannot read"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["loadtest", *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cost_guard_refuses_an_expensive_run_before_sending_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["--target", "https://api.example.invalid/v1", "--provider", "openai"]
    args += ["--model", "gpt-4o", "--requests", "100000"]
    result = CliRunner().invoke(app, ["loadtest", *args])
    assert result.exit_code == 2
    assert "cost guard" in result.stderr


@pytest.mark.loopback
def test_ladder_against_the_spawned_mock_writes_the_latest_report(tmp_path: Path) -> None:
    proc = llmops("--levels", "2,4", "--requests", "20", "--mock-profile", "instant", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    assert [lv["concurrency"] for lv in report["levels"]] == [2, 4]


@pytest.mark.loopback
def test_slo_gate_exits_1_when_not_met_at_the_peak(tmp_path: Path) -> None:
    proc = llmops(
        "--levels", "2,4", "--requests", "20", "--mock-profile", "instant",
        "--slo", "p50<=0.001ms", "--peak", "4", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "SLO at 4 clients NOT met" in proc.stdout


@pytest.mark.loopback
def test_slo_gate_exits_0_when_met(tmp_path: Path) -> None:
    proc = llmops(
        "--levels", "2", "--requests", "20", "--mock-profile", "instant",
        "--slo", "success>=99%", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.loopback
def test_the_spawned_mock_is_not_capped_by_the_engines_default_concurrency() -> None:
    # 100 clients must mean 100 calls in flight at the mock, not 64 plus an engine queue
    from llmops.cli.loadtest_cmd import _target
    from llmops.workflows.loadtest.levels import level_config

    kw = dict.fromkeys(("target", "config", "feature", "provider", "model", "api_key_env"))
    with _target({**kw, "mock_profile": "instant", "seed": 0}) as target:
        assert target.base_url.startswith("http://127.0.0.1:")
        assert level_config(target, 100, open_loop=False).limits.max_concurrency == 100


@pytest.mark.parametrize("flag", ["--stream", "--raw", "--yes"])
def test_on_off_flags_take_no_value_and_have_an_off_spelling(flag: str) -> None:
    refused = CliRunner().invoke(app, ["loadtest", f"{flag}=true"])
    assert refused.exit_code == 2 and "does not take a value" in refused.stderr
    off = flag.replace("--", "--no-")
    assert off in CliRunner().invoke(app, ["loadtest", "--help"], env={"COLUMNS": "200"}).stdout


def test_a_negative_max_cost_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["loadtest", "--max-cost", "-1"])
    assert result.exit_code == 2
    assert "--max-cost" in result.stderr
