"""`llmops profile` on the command line: reports, one-line errors, exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llmops.cli.app import main
from tests.profile.helpers import SAMPLES


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["llmops", "profile", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0)


def test_profile_writes_three_reports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code = run(monkeypatch, str(SAMPLES / "*.jsonl"), "--report-dir", str(tmp_path))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "profile.html",
        "profile.json",
        "profile.md",
    ]


def test_html_report_has_inline_svg_charts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run(monkeypatch, str(SAMPLES / "openai.jsonl"), "--report-dir", str(tmp_path), "--no-language")
    assert "<svg" in (tmp_path / "profile.html").read_text()


def test_missing_file_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(monkeypatch, str(tmp_path / "missing.jsonl"), "--report-dir", str(tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "no such file" in err and "Traceback" not in err


def test_bad_failure_rule_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code = run(
        monkeypatch,
        str(SAMPLES / "pino.jsonl"),
        "--fail-if",
        "level>=high",
        "--report-dir",
        str(tmp_path),
    )
    assert code == 2


def test_unknown_format_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (
        run(
            monkeypatch,
            str(SAMPLES / "openai.jsonl"),
            "--format",
            "csv",
            "--report-dir",
            str(tmp_path),
        )
        == 2
    )


def test_off_a_terminal_the_progress_lines_say_the_files_done_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from llmops.cli.profile_cmd import PROGRESS_MIN_BYTES, _PlainProgress

    plain = _PlainProgress(terminal=False)
    total = 10 * PROGRESS_MIN_BYTES
    plain(total // 10, total)  # no file finished yet known: bytes only
    plain.files = (3, 8)
    plain(total // 2, total)
    lines = capsys.readouterr().err.splitlines()
    mb = total / 1e6
    assert lines == [
        f"read {mb / 10:,.1f} of {mb:,.1f} MB",
        f"read {mb / 2:,.1f} of {mb:,.1f} MB, 3 of 8 files",
    ]
