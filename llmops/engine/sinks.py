"""Event sinks: JSON lines with OpenTelemetry GenAI field names, and an in-memory recorder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

import orjson

from llmops.engine.events import Event


class JsonlSink:
    """Append every event as one JSON line (``time`` is Unix seconds). Flushed per line.

    Events carry no secrets by construction: no headers, no keys, only counts and names.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = self.path.open("ab")

    def __call__(self, event: Event) -> None:
        record = {"time": round(time.time(), 6), **event.as_log()}
        self._file.write(orjson.dumps(record) + b"\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class EventRecorder:
    """Keeps every event in a list: for tests and for workflows that aggregate afterwards."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]
