"""The durable reprocess queue behind the ``queue`` fallback (SQLite file by default)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import orjson

from llmops.engine.clock import wall_time


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
    On an event loop, use :meth:`aenqueue`: the write runs in a worker thread, so the loop goes
    on serving while SQLite commits (open the queue in one too: opening writes the file).
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

    def enqueue(
        self,
        feature: str,
        messages: Sequence[Mapping[str, str]],
        error_type: str,
        *,
        enqueued_at: float | None = None,
    ) -> int:
        """Store one failed call; returns its queue id.

        ``enqueued_at`` is the Unix time to record (the caller's clock); default: now.
        """
        blob = orjson.dumps([dict(m) for m in messages])
        at = wall_time() if enqueued_at is None else enqueued_at
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                " VALUES (?, ?, ?, ?)",
                (feature, blob, error_type, at),
            )
        return int(cur.lastrowid or 0)

    async def aenqueue(
        self,
        feature: str,
        messages: Sequence[Mapping[str, str]],
        error_type: str,
        *,
        enqueued_at: float | None = None,
    ) -> int:
        """:meth:`enqueue` in a worker thread. Once started, the write finishes (and is
        committed) even if the caller is cancelled meanwhile."""
        copied = [dict(m) for m in messages]
        at = wall_time() if enqueued_at is None else enqueued_at
        return await anyio.to_thread.run_sync(
            lambda: self.enqueue(feature, copied, error_type, enqueued_at=at)
        )

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
        """Close the file (blocking: from an event loop, run it in a worker thread)."""
        with self._lock:
            self._db.close()
