"""Crash safety: ``llmops eval`` killed with SIGKILL at several points never leaves a partial run
in the (SQLite) history, and the history stays usable: the next run is recorded whole.

An acknowledged queue item is never lost to a SIGKILL either: that is
``tests/queue/test_queue_crash.py`` (a consumer killed while holding an item).
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from llmops.stores.history import open_history

pytestmark = pytest.mark.loopback

TRIALS = 27  # the shipped support-classifier suite


def _eval(history: Path, cwd: Path) -> list[str]:
    return [
        sys.executable, "-m", "llmops", "eval", "--history", str(history),
        "--concurrency", "8", "--no-reports",
    ]  # fmt: skip


def kill_when(args: list[str], cwd: Path, marker: str) -> None:
    """Run ``args``; SIGKILL it as soon as a stderr line matches ``marker``."""
    proc = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if re.search(marker, line):
                proc.send_signal(signal.SIGKILL)
                break
        else:
            pytest.fail(f"the eval ended before {marker!r}")
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def runs_in(history: Path) -> list[int]:
    """The number of cases of each recorded run."""
    store = open_history(str(history))
    try:
        return [r.total for r in store.query("support-classifier", since=0)]
    finally:
        store.close()


KILL_POINTS = [
    r"trials planned",  # before any trial finished
    r"1\d/27 trials done",  # half way
    r"27/27 trials done",  # every trial done: the run is being recorded
]


def test_sigkill_mid_eval_leaves_no_partial_run(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    for marker in KILL_POINTS:  # one history file, killed at each point in turn
        kill_when(_eval(history, tmp_path), tmp_path, marker)
        if history.exists():
            with sqlite3.connect(history) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert all(n == TRIALS for n in runs_in(history)), marker  # none, or whole
    # the history is usable after the kills: the next run is recorded whole
    done = subprocess.run(_eval(history, tmp_path), cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert runs_in(history)[-1:] == [TRIALS]
    assert all(n == TRIALS for n in runs_in(history))
