"""The one report writer: render first, write atomically, never leave half a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from llmops.cli import reports
from llmops.cli.reports import append_step_summary, write_atomic, write_reports
from llmops.errors import InputError


def test_reports_and_their_latest_copies_are_written(tmp_path: Path) -> None:
    written = write_reports(
        tmp_path,
        {"run-1.json": '{"a": 1}', "run-1.html": lambda: b"<html>"},
        latest={"run-1.json": "run-latest.json"},
    )
    assert written == [tmp_path / "run-1.json", tmp_path / "run-1.html"]
    assert (tmp_path / "run-latest.json").read_text() == '{"a": 1}'
    assert (tmp_path / "run-1.html").read_bytes() == b"<html>"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run-1.html",
        "run-1.json",
        "run-latest.json",
    ]


def test_a_reporter_that_raises_leaves_the_directory_untouched(tmp_path: Path) -> None:
    (tmp_path / "run-latest.json").write_text("old")

    def broken() -> str:
        raise RuntimeError("reporter bug")

    with pytest.raises(RuntimeError, match="reporter bug"):
        write_reports(
            tmp_path,
            {"run-2.json": "new", "run-2.html": broken},
            latest={"run-2.json": "run-latest.json"},
        )
    assert [p.name for p in tmp_path.iterdir()] == ["run-latest.json"]
    assert (tmp_path / "run-latest.json").read_text() == "old"


def test_a_failing_rename_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "run-latest.json"
    target.write_text("old, whole")

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new " * 10_000)
    assert target.read_text() == "old, whole"
    assert [p.name for p in tmp_path.iterdir()] == ["run-latest.json"]


def test_a_failure_midway_through_the_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync_fails_on_second_file(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 3:  # file 1, its directory, then file 2's data: the disk fails
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(reports.os, "fsync", fsync_fails_on_second_file)
    with pytest.raises(InputError, match="cannot write reports"):
        write_reports(tmp_path, {"a.json": "1", "b.json": "2" * 100_000})
    # a.json landed whole; b.json never appeared, not even as a temporary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_written_files_get_the_usual_permissions_not_a_temp_files(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "r.md", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_an_unwritable_report_dir_is_one_line_of_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(InputError, match=r"--report-dir .*file/reports: cannot write reports"):
        write_reports(blocker / "reports", {"a.json": "1"})


def test_a_latest_copy_must_name_a_report(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"x\.json"):
        write_reports(tmp_path, {"a.json": "1"}, latest={"x.json": "latest.json"})


def test_the_step_summary_is_appended_to(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    assert append_step_summary("## eval\n", {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    assert summary.read_text() == "# earlier step\n## eval\n"
    assert append_step_summary("## eval\n", {}) is None


WRITER = """
import sys
from pathlib import Path
from llmops.cli.reports import write_reports

directory = Path(sys.argv[1])
for n in range(1_000_000):
    body = str(n % 10) * 2_000_000  # 2 MB: the kill lands mid-write more often than not
    write_reports(directory, {f"run-{n}.json": body}, latest={f"run-{n}.json": "run-latest.json"})
    print(n, flush=True)
"""


@pytest.mark.parametrize("writes_before_kill", [1, 3, 7])
def test_kill_9_midway_never_leaves_a_half_written_report(
    tmp_path: Path, writes_before_kill: int
) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        for _ in range(writes_before_kill):
            proc.stdout.readline()  # n reports are whole; the next one is under way
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    reports_seen = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(reports_seen) >= writes_before_kill + 1  # the stamped ones and the latest copy
    for path in reports_seen:
        body = path.read_text()
        assert len(body) == 2_000_000 and body == body[0] * len(body), path.name
