"""kill -9 of a real ``llmops eval`` at several points never leaves a partial run in the history
(SQLite): a run is stored with every one of its cases, or not at all. Nor does it leave the
mock server it spawned running.

The kill points are exact: the eval process runs the real command line with one hook that
sends itself SIGKILL while the history transaction writes its first or last case row (or right after
it commits), so no test depends on timing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: the real command line, with SIGKILL at the k-th case row (-1: right after COMMIT)
DRIVER = """
import os, signal, sys
import llmops.stores.history_sqlite as store

k = int(os.environ["KILL_AT_ROW"])
real_rows, real_append = store.case_rows, store.SqliteHistory.append

def rows(run):
    for i, row in enumerate(real_rows(run)):
        if i == k:
            os.kill(os.getpid(), signal.SIGKILL)
        yield row

def append(self, run):
    real_append(self, run)
    if k < 0:
        os.kill(os.getpid(), signal.SIGKILL)

store.case_rows, store.SqliteHistory.append = rows, append
from llmops.cli.app import main
sys.argv = ["llmops", *sys.argv[1:]]
sys.exit(main())
"""


def _eval(history: Path, kill_at: int, tag: str) -> int:
    env = {**os.environ, "KILL_AT_ROW": str(kill_at), "LLMOPS_CRASH_TAG": tag}
    argv = ["eval", "support-classifier", "--history", str(history), "--no-reports"]
    argv += ["--mock-profile", "instant"]
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *argv], env=env, cwd=ROOT, capture_output=True, timeout=300
    )
    return proc.returncode


def _runs(history: Path) -> dict[str, int]:
    """Each stored run and how many case rows it has."""
    with sqlite3.connect(history) as db:
        runs = {r[0]: 0 for r in db.execute("SELECT run_id FROM eval_runs")}
        for run_id, n in db.execute("SELECT run_id, count(*) FROM eval_cases GROUP BY run_id"):
            runs[run_id] = n if run_id in runs else -n  # orphan cases show as negative
    return runs


def _processes_tagged(tag: str, wait_s: float = 20.0) -> list[int]:
    """Processes carrying ``tag`` in their environment, once they have had ``wait_s`` to end."""
    deadline = time.monotonic() + wait_s
    while (found := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the orphan to notice, not timing anything
    return found


def _tagged(tag: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"LLMOPS_CRASH_TAG={tag}".encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A history holding one whole run (killed right after its commit), and its case count."""
    history = tmp_path_factory.mktemp("crash") / "history.sqlite3"
    assert _eval(history, -1, uuid.uuid4().hex) == -signal.SIGKILL
    (cases,) = _runs(history).values()
    return history, cases


def test_a_kill_right_after_the_commit_keeps_the_whole_run(complete: tuple[Path, int]) -> None:
    _history, cases = complete
    assert cases > 1


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_kill_inside_the_write_leaves_no_partial_run(
    complete: tuple[Path, int], where: str
) -> None:
    history, cases = complete
    before = _runs(history)
    row = {"first": 0, "last": cases - 1}[where]
    tag = uuid.uuid4().hex
    assert _eval(history, row, tag) == -signal.SIGKILL
    assert _runs(history) == before  # the killed run is not there, not even in part
    assert _processes_tagged(tag) == [], "the spawned mock server outlived its eval"
