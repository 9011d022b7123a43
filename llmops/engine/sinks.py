"""Event sinks: JSON lines with OpenTelemetry GenAI field names, and an in-memory recorder."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import IO

import orjson

from llmops.engine.clock import Clock, wall_time
from llmops.engine.events import Event

#: what the writer thread is handed: (Unix seconds, event), or None to finish
_Item = tuple[float, Event] | None


class JsonlSink:
    """Append every event as one JSON line (``time`` is Unix seconds, from ``clock.wall()``).

    The event loop never waits on the disk: an event is stamped and handed to a writer thread
    through a bounded queue (only when the writer is ``buffer`` events behind does the caller
    wait for room). The writer writes what has queued up and flushes after each batch.
    :meth:`close` drains the queue: every event handed over is in the file when it returns.
    Events carry no secrets by construction: no headers, no keys, only counts and names.
    """

    def __init__(
        self, path: str | Path, *, clock: Clock | None = None, buffer: int = 10_000
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = self.path.open("ab")
        self._wall = clock.wall if clock is not None else wall_time
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=max(1, buffer))
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._error: BaseException | None = None

    def __call__(self, event: Event) -> None:
        if self._closed:
            raise ValueError(f"event sink {self.path} is closed")
        if self._thread is None:
            self._start()
        self._queue.put((self._wall(), event))

    def close(self) -> None:
        """Write every event still queued, then close the file (blocks until done).

        Raises the error that stopped the writer, if one did (the events after it are lost).
        """
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        self._file.close()
        if self._error is not None:
            raise self._error

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._write, name="llmops-jsonl-sink", daemon=True)
                thread.start()
                self._thread = thread

    def _write(self) -> None:
        """The writer thread: take what is queued, write it, flush; until the end marker."""
        get, get_nowait = self._queue.get, self._queue.get_nowait
        while True:
            batch = [get()]
            try:
                while batch[-1] is not None and len(batch) < 1024:
                    batch.append(get_nowait())
            except queue.Empty:
                pass
            if self._error is None:
                try:
                    lines = b"".join(_line(item) for item in batch if item is not None)
                    if lines:
                        self._file.write(lines)
                        self._file.flush()
                except Exception as exc:  # keep draining, so no caller waits for room forever
                    self._error = exc
            if batch[-1] is None:
                return


def _line(item: tuple[float, Event]) -> bytes:
    at, event = item
    return orjson.dumps({"time": round(at, 6), **event.as_log()}) + b"\n"


class EventRecorder:
    """Keeps every event in a list: for tests and for workflows that aggregate afterwards."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]
