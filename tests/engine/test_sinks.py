"""The JSONL sink writes from its own thread, and every event handed over is in the file
after close."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest

from llmops.engine.clock import VirtualClock
from llmops.engine.events import BreakerTransition, CallFinished
from llmops.engine.sinks import JsonlSink


def finished(i: int) -> CallFinished:
    return CallFinished(
        request_id=f"r-{i}",
        feature="f",
        outcome="ok",
        error_type=None,
        attempts=1,
        latency_s=0.5,
        queue_wait_s=0.0,
    )


def read(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_every_event_is_in_the_file_after_close_in_order(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "events.jsonl"
    sink = JsonlSink(log, buffer=8)  # far fewer than the events: the callers wait for room
    for i in range(2000):
        sink(finished(i))
    sink.close()
    records = read(log)
    assert [r["llmops.request_id"] for r in records] == [f"r-{i}" for i in range(2000)]
    assert {r["event"] for r in records} == {"call_finished"}


def test_events_are_stamped_with_the_clocks_wall_time(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    sink = JsonlSink(log, clock=VirtualClock(wall_start=1_767_225_600.0))
    sink(BreakerTransition("main", "closed", "open", "failure rate 60% >= 50%"))
    sink.close()
    assert [r["time"] for r in read(log)] == [1_767_225_600.0]


def test_an_existing_log_is_appended_to(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    for i in range(2):
        sink = JsonlSink(log)
        sink(finished(i))
        sink.close()
    assert [r["llmops.request_id"] for r in read(log)] == ["r-0", "r-1"]


class _Recording:
    """Wraps the sink's file: notes which threads write to it."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.writers: set[int] = set()

    def write(self, data: bytes) -> int:
        self.writers.add(threading.get_ident())
        return self.inner.write(data)  # type: ignore[attr-defined,no-any-return]

    def flush(self) -> None:
        self.inner.flush()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.inner.close()  # type: ignore[attr-defined]


def test_the_file_is_written_by_the_sinks_thread_not_the_callers(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "events.jsonl")
    recording = _Recording(sink._file)
    sink._file = recording  # type: ignore[assignment]
    for i in range(10):
        sink(finished(i))
    sink.close()
    assert recording.writers and threading.get_ident() not in recording.writers
    assert len(read(tmp_path / "events.jsonl")) == 10


class _Broken(_Recording):
    def write(self, data: bytes) -> int:
        raise OSError(28, "No space left on device")


def test_a_write_error_surfaces_on_close_and_never_blocks_the_callers(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "events.jsonl", buffer=1)
    sink._file = _Broken(sink._file)  # type: ignore[assignment]
    for i in range(100):  # the writer keeps draining after the error: no caller waits forever
        sink(finished(i))
    with pytest.raises(OSError, match="No space left"):
        sink.close()


def test_a_closed_sink_refuses_events_and_closes_once(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "events.jsonl")
    sink.close()
    sink.close()
    with pytest.raises(ValueError, match="closed"):
        sink(finished(0))
