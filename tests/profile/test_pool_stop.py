"""Ctrl-C while profile workers are still starting: a worker that ends without an answer (told
to stop before its handler was set up) leaves its range unfinished; it is not an error."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from llmops.workflows.profile import pool
from llmops.workflows.profile.read import ScanOptions

SAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "logs" / "openai.jsonl"


def test_workers_that_end_without_an_answer_after_a_stop_leave_their_ranges_unfinished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    log.write_bytes(SAMPLE.read_bytes() * 50)
    size = log.stat().st_size
    tasks = [(str(log), 0, size // 2), (str(log), size // 2, size)]
    # the stop signal kills the workers outright, as SIGUSR1 does to one still starting
    monkeypatch.setattr(pool, "_STOP_READING", signal.SIGKILL)

    parts = pool.scan_ranges(
        tasks, ScanOptions(detect_language=False), 2, lambda _: None, stop=lambda: True
    )

    assert parts == [None, None]


def test_a_worker_that_dies_without_a_stop_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    log.write_bytes(SAMPLE.read_bytes())
    monkeypatch.setattr(pool, "_send", lambda stream, item: stream.close())

    with pytest.raises((EOFError, OSError, ValueError)):
        pool.scan_ranges([(str(log), 0, log.stat().st_size)], ScanOptions(), 1, lambda _: None)
