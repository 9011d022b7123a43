"""The durable reprocess queue behind the ``queue`` fallback (SQLite file by default)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson


@dataclass(frozen=True, slots=True)
class QueuedCall:
    id: int
    feature: str
    messages: list[dict[str, str]]
    error_type: str
    enqueued_at: float


class SqliteReprocessQueue:
    """Failed calls kept for later reprocessing; every enqueue is committed before it returns.

    WAL mode and one short transaction per call: a crash loses nothing that was acknowledged.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS reprocess_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " feature TEXT NOT NULL, messages BLOB NOT NULL, error_type TEXT NOT NULL,"
            " enqueued_at REAL NOT NULL)"
        )

    def enqueue(self, feature: str, messages: Sequence[Mapping[str, str]], error_type: str) -> int:
        """Store one failed call; returns its queue id."""
        blob = orjson.dumps([dict(m) for m in messages])
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                " VALUES (?, ?, ?, ?)",
                (feature, blob, error_type, time.time()),
            )
        return int(cur.lastrowid or 0)

    def pending(self, limit: int = 100) -> list[QueuedCall]:
        """The oldest waiting calls, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, feature, messages, error_type, enqueued_at FROM reprocess_queue"
                " ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [QueuedCall(r[0], r[1], orjson.loads(r[2]), r[3], r[4]) for r in rows]

    def done(self, call_id: int) -> None:
        """Remove a call once it has been reprocessed."""
        with self._lock:
            self._db.execute("DELETE FROM reprocess_queue WHERE id = ?", (call_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM reprocess_queue").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
