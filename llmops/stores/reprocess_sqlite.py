"""The reprocess queue in a SQLite file: the embedded default, now with leases and dead letters.

WAL mode, one short ``BEGIN IMMEDIATE`` transaction per operation (so several processes may
share the file), each run off the event loop (:func:`~llmops.engine.clock.run_blocking`: in a
worker thread, inline on a virtual clock); the file is opened there too. A lease is
a wall-clock deadline stored with the item (``lease_until``), so it holds across processes: a
worker killed mid-item leaves its lease to run out, and the next ``take`` after that gets the
item again. The file of the first layout (no leases) is upgraded in place.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from llmops.engine.clock import run_blocking
from llmops.stores.reprocess import (
    SYSTEM_WALL,
    DeadLetter,
    QueuedCall,
    QueueStatus,
    WallClock,
    decode_payload,
    encode_payload,
    exhausted_reason,
    payload_bytes,
)

__all__ = ["SqliteReprocessQueue"]

T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS reprocess_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " feature TEXT NOT NULL, messages BLOB NOT NULL, error_type TEXT NOT NULL,"
    " enqueued_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS reprocess_dead (id INTEGER NOT NULL, feature TEXT NOT NULL,"
    " payload BLOB NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL,"
    " dead_at REAL NOT NULL)",
)
_ADDED = {  # columns the first layout lacked
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "lease_until": "REAL",
    "lease_owner": "TEXT",
    "last_error": "TEXT",
}


class SqliteReprocessQueue:
    """One feature's queue in the SQLite file at ``path`` (several features may share a file).

    ``clock`` gives the wall-clock time leases and timestamps are measured on (the engine's
    clock; injectable for tests) and says whether time is virtual (then work runs inline).
    """

    def __init__(
        self,
        path: str | Path,
        feature: str,
        *,
        lease_s: float = 300.0,
        max_attempts: int = 5,
        clock: WallClock | None = None,
    ) -> None:
        self.path = Path(path)
        self.feature = feature
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self._clock = clock or SYSTEM_WALL
        self._wall = self._clock.wall
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            db.execute(statement)
        have = {row[1] for row in db.execute("PRAGMA table_info(reprocess_queue)")}
        for column, decl in _ADDED.items():
            if column not in have:
                db.execute(f"ALTER TABLE reprocess_queue ADD COLUMN {column} {decl}")
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._conn is not None  # opened by _locked before any statement
        return self._conn

    async def _run(self, fn: Callable[[], T]) -> T:
        return await run_blocking(self._clock, lambda: self._locked(fn))

    def _locked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = fn()
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    async def enqueue(self, messages: Sequence[Mapping[str, str]], error_type: str) -> str:
        """Store one failed call (committed before this returns); returns its id."""
        at = self._wall()
        blob = encode_payload(messages, error_type, at)

        def insert() -> int:
            cur = self._db.execute(
                "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                " VALUES (?, ?, ?, ?)",
                (self.feature, blob, error_type, at),
            )
            return int(cur.lastrowid or 0)

        return str(await self._run(insert))

    async def take(self, consumer: str, *, limit: int = 1) -> list[QueuedCall]:
        """Lease up to ``limit`` items, oldest first; the spent and undecodable become dead."""
        return await self._run(lambda: self._take(consumer, limit))

    def _take(self, consumer: str, limit: int) -> list[QueuedCall]:
        now = self._wall()
        taken: list[QueuedCall] = []
        while len(taken) < limit:
            rows = self._db.execute(
                "SELECT id, messages, attempts, last_error FROM reprocess_queue WHERE feature = ?"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT ?",
                (self.feature, now, limit - len(taken)),
            ).fetchall()
            if not rows:
                break
            for item_id, blob, attempts, last_error in rows:
                if attempts >= self.max_attempts:
                    self._bury(item_id, blob, attempts, exhausted_reason(attempts, last_error))
                    continue
                try:
                    messages, error_type, at = decode_payload(blob)
                except ValueError as exc:
                    self._bury(item_id, blob, attempts, f"cannot decode: {exc}")
                    continue
                self._db.execute(
                    "UPDATE reprocess_queue SET attempts = attempts + 1, lease_until = ?,"
                    " lease_owner = ? WHERE id = ?",
                    (now + self.lease_s, consumer, item_id),
                )
                call = QueuedCall(
                    str(item_id), self.feature, messages, error_type, at, attempts + 1
                )
                taken.append(call)
        return taken

    def _bury(self, item_id: int, blob: Any, attempts: int, reason: str) -> None:
        self._db.execute(
            "INSERT INTO reprocess_dead (id, feature, payload, attempts, reason, dead_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, self.feature, payload_bytes(blob), attempts, reason, self._wall()),
        )
        self._db.execute("DELETE FROM reprocess_queue WHERE id = ?", (item_id,))

    async def ack(self, item_id: str) -> None:
        """The item was reprocessed: remove it for good."""
        await self._run(
            lambda: self._db.execute("DELETE FROM reprocess_queue WHERE id = ?", (int(item_id),))
        )

    async def retry_later(self, item_id: str, reason: str) -> None:
        """The attempt failed: note why; the item is taken again once its lease ends."""
        await self._run(
            lambda: self._db.execute(
                "UPDATE reprocess_queue SET last_error = ? WHERE id = ?", (reason, int(item_id))
            )
        )

    async def release(self, item: QueuedCall) -> None:
        """Give ``item`` back at once, its delivery not counted."""
        await self._run(
            lambda: self._db.execute(
                "UPDATE reprocess_queue SET lease_until = NULL, lease_owner = NULL,"
                " attempts = ? WHERE id = ?",
                (max(0, item.attempts - 1), int(item.id)),
            )
        )

    async def pending(self, limit: int = 100) -> list[QueuedCall]:
        """Items not yet acknowledged, oldest first, without taking them (undecodable skipped)."""

        def read() -> list[QueuedCall]:
            rows = self._db.execute(
                "SELECT id, messages, attempts FROM reprocess_queue WHERE feature = ?"
                " ORDER BY id LIMIT ?",
                (self.feature, limit),
            ).fetchall()
            out = []
            for item_id, blob, attempts in rows:
                try:
                    messages, error_type, at = decode_payload(blob)
                except ValueError:
                    continue
                out.append(
                    QueuedCall(str(item_id), self.feature, messages, error_type, at, attempts)
                )
            return out

        return await self._run(read)

    async def dead(self, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first."""

        def read() -> list[DeadLetter]:
            rows = self._db.execute(
                "SELECT id, payload, attempts, reason FROM reprocess_dead WHERE feature = ?"
                " ORDER BY rowid LIMIT ?",
                (self.feature, limit),
            ).fetchall()
            return [
                DeadLetter(
                    str(r[0]), self.feature, r[3], r[2], bytes(r[1]).decode(errors="replace")
                )
                for r in rows
            ]

        return await self._run(read)

    async def status(self) -> QueueStatus:
        """Counts of waiting, leased and dead items."""

        def count() -> QueueStatus:
            now = self._wall()
            leased, total = self._db.execute(
                "SELECT COALESCE(SUM(lease_until > ?), 0), COUNT(*) FROM reprocess_queue"
                " WHERE feature = ?",
                (now, self.feature),
            ).fetchone()
            dead = self._db.execute(
                "SELECT COUNT(*) FROM reprocess_dead WHERE feature = ?", (self.feature,)
            ).fetchone()[0]
            return QueueStatus(self.feature, int(total) - int(leased), int(leased), int(dead))

        return await self._run(count)

    async def aclose(self) -> None:
        """Close the file."""

        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await run_blocking(self._clock, close)
