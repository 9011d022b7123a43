"""Conventions every command shares: exit codes in --help, --report-dir, reports written
through the one writer, --debug adding only a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmops.cli import reports
from llmops.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "scenarios" / "logs"

COMMANDS = [["loadtest"], ["eval"], ["profile"], ["mock", "serve"], ["config", "check"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_commands_help_documents_its_exit_codes(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Exit codes: 0" in result.stdout and " 2 " in result.stdout


@pytest.mark.parametrize("command", ["loadtest", "eval", "profile"])
def test_every_command_that_writes_reports_takes_report_dir(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert "--report-dir" in result.stdout


def test_evals_old_reports_spelling_is_a_hidden_alias() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "200"})
    assert "--reports " not in result.stdout and "--no-reports" in result.stdout


class Recorder:
    """Stands in for the atomic file write and records what every command writes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        real = reports.write_atomic

        def recording(path: Path, content: reports.Content) -> Path:
            self.paths.append(path)
            return real(path, content)

        monkeypatch.setattr(reports, "write_atomic", recording)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.paths)


def test_profile_reports_land_through_the_writer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorder = Recorder(monkeypatch)
    argv = ["profile", str(LOGS / "openai.jsonl"), "--no-language", "--report-dir", str(tmp_path)]
    assert CliRunner().invoke(app, argv).exit_code == 0
    assert recorder.names() == ["profile.html", "profile.json", "profile.md"]


def test_loadtest_reports_and_latest_copies_land_through_the_writer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import trio
    from trio.testing import MockClock

    from llmops.cli import loadtest_cmd
    from llmops.workflows.loadtest import LoadtestOptions
    from tests.loadtest.conftest import run

    options = LoadtestOptions(levels=(2,), requests=10, warmup=0)
    finished = trio.run(run, options, clock=MockClock(autojump_threshold=0))
    monkeypatch.setattr(loadtest_cmd, "_execute", lambda *a, **kw: finished)
    recorder = Recorder(monkeypatch)
    argv = ["loadtest", "--levels", "2", "--requests", "10", "--report-dir", str(tmp_path)]
    assert CliRunner().invoke(app, argv).exit_code == 0
    names = recorder.names()
    assert names[-3:] == ["loadtest-latest.html", "loadtest-latest.json", "loadtest-latest.md"]
    assert len(names) == 6
    # the latest copies are written after every stamped report
    assert [p.name.startswith("loadtest-latest") for p in recorder.paths] == [False] * 3 + [
        True
    ] * 3


@pytest.mark.loopback
@pytest.mark.parametrize("spelling", ["--report-dir", "--reports"])
def test_eval_reports_land_through_the_writer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spelling: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    recorder = Recorder(monkeypatch)
    argv = ["eval", "support-classifier", "--no-record", spelling, str(tmp_path / "out")]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.stderr
    assert recorder.names() == [
        "eval-support-classifier.html",
        "eval-support-classifier.json",
        "eval-support-classifier.md",
        "eval-support-classifier.xml",
    ]
    assert all(p.parent == tmp_path / "out" for p in recorder.paths)


def test_debug_adds_the_traceback_and_keeps_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "llmops.yaml"
    bad.write_text("retry:\n  max_atempts: 3\n")

    def run(*extra: str) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "llmops", *extra, "config", "check", str(bad)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    plain, debug = run(), run("--debug")
    assert (plain.returncode, debug.returncode) == (2, 2)
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    assert "max_atempts" in debug.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "schema"],
        ["profile", str(LOGS / "openai.jsonl"), "--no-language", "--report-dir", "{tmp}"],
    ],
    ids=["config schema", "profile"],
)
def test_a_closed_stdout_ends_quietly_as_the_unix_tools_do(argv: list[str], tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmops", *(a.replace("{tmp}", str(tmp_path)) for a in argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line, as with `| head -0`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == ""


def test_mock_serve_on_a_port_in_use_is_one_line_and_exit_2() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        proc = subprocess.run(
            [sys.executable, "-m", "llmops", "mock", "serve", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert f"--port {port}: cannot listen there" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_mock_serve_refuses_a_port_out_of_range() -> None:
    result = CliRunner().invoke(app, ["mock", "serve", "--port", "99999"])
    assert result.exit_code == 2 and "65535" in result.stderr
    # one line, as every other bad-input error: no usage block
    assert result.stderr.strip().count("\n") == 0 and "Usage" not in result.stderr
