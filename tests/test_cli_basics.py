"""The command surface: every command exists; config check exit codes; no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmops", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_help_lists_every_command() -> None:
    out = run("--help").stdout
    for command in ("loadtest", "eval", "profile", "runbook", "mock", "config"):
        assert command in out


def test_config_check_accepts_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text(
        "providers:\n  p: {kind: anthropic, base_url: 'http://127.0.0.1:1', model: m}\n"
    )
    proc = run("config", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "ok (1 provider(s)" in proc.stdout


def test_config_check_rejects_a_bad_file_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text("retry:\n  max_atempts: 3\n")
    proc = run("config", "check", str(path))
    assert proc.returncode == 2
    assert (
        "llmops.yaml:2: retry.max_atempts: unknown key; did you mean 'max_attempts'?" in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_config_schema_is_json() -> None:
    proc = run("config", "schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["title"] == "llmops.yaml"


def test_public_api_all_names_resolve() -> None:
    import llmops

    missing = [name for name in llmops.__all__ if not hasattr(llmops, name)]
    assert missing == []
    assert "Engine" in llmops.__all__ and "load_config" in llmops.__all__


def test_runbook_check_without_a_config_file_exits_2() -> None:
    proc = run("runbook", "check", "--config", "no-such-llmops.yaml", "--no-reports")
    assert proc.returncode == 2
    assert "no-such-llmops.yaml" in proc.stderr and "not found" in proc.stderr


def test_an_unknown_option_is_a_usage_error_with_exit_2() -> None:
    proc = run("config", "check", "--no-such-option")
    assert proc.returncode == 2
    assert "No such option: --no-such-option" in proc.stderr
    assert "Traceback" not in proc.stderr
