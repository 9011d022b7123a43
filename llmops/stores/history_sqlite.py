"""Eval history in a SQLite file (the default): WAL journal, one transaction per run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llmops.errors import ConfigError
from llmops.stores.history_rows import (
    CASE_COLUMNS,
    RUN_COLUMNS,
    case_from_row,
    case_rows,
    run_from_row,
    run_row,
)
from llmops.workflows.evals.records import CaseRecord, EvalRun

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}runs (
    run_id TEXT PRIMARY KEY, suite TEXT NOT NULL, started_at REAL NOT NULL,
    finished_at REAL NOT NULL, suite_hash TEXT NOT NULL, config_hash TEXT NOT NULL,
    git_commit TEXT, target TEXT NOT NULL, model_requested TEXT, meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}runs_suite_time ON {p}runs (suite, started_at);
CREATE TABLE IF NOT EXISTS {p}cases (
    run_id TEXT NOT NULL REFERENCES {p}runs(run_id) ON DELETE CASCADE, idx INTEGER NOT NULL,
    case_id TEXT NOT NULL, repeat INTEGER NOT NULL, passed INTEGER NOT NULL, output TEXT,
    checks TEXT NOT NULL, latency_s REAL NOT NULL, input_tokens INTEGER, output_tokens INTEGER,
    model_requested TEXT, model_reported TEXT, system_fingerprint TEXT, error TEXT,
    PRIMARY KEY (run_id, idx)
);
"""


class SqliteHistory:
    """:class:`~llmops.stores.history.HistoryStore` in a SQLite file.

    The journal is WAL (readers never block the writer); a run and its cases are inserted in
    one transaction, so a crash leaves either the whole run or none of it. ``prefix`` names
    the tables (``{prefix}runs``, ``{prefix}cases``) so several histories can share a file.
    """

    def __init__(self, path: str | Path, *, prefix: str = "eval_") -> None:
        if not prefix.replace("_", "").isalnum():
            raise ConfigError(f"history table prefix {prefix!r}: letters, digits and _ only")
        self.path = Path(path)
        self._p = prefix
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(_SCHEMA.format(p=prefix))
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"{self.path}: cannot open the eval history: {exc}") from None

    def append(self, run: EvalRun) -> None:
        """Insert ``run`` and its cases in one transaction."""
        runs_sql = (
            f"INSERT INTO {self._p}runs ({', '.join(RUN_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(RUN_COLUMNS))})"
        )
        cases_sql = (
            f"INSERT INTO {self._p}cases ({', '.join(CASE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(CASE_COLUMNS))})"
        )
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(runs_sql, run_row(run))
            db.executemany(cases_sql, case_rows(run))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def query(
        self, suite: str, since: float | None = None, until: float | None = None
    ) -> list[EvalRun]:
        """Runs of ``suite`` started in ``[since, until)``, oldest first, with their cases."""
        lo = since if since is not None else float("-inf")
        hi = until if until is not None else float("inf")
        runs = self._db.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM {self._p}runs "
            "WHERE suite = ? AND started_at >= ? AND started_at < ? ORDER BY started_at, run_id",
            (suite, lo, hi),
        ).fetchall()
        if not runs:
            return []
        ids = [r[0] for r in runs]
        by_run: dict[str, list[CaseRecord]] = {i: [] for i in ids}
        marks = ", ".join("?" * len(ids))
        for row in self._db.execute(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM {self._p}cases "
            f"WHERE run_id IN ({marks}) ORDER BY run_id, idx",
            ids,
        ):
            by_run[row[0]].append(case_from_row(row))
        return [run_from_row(r, by_run[r[0]]) for r in runs]

    def suites(self) -> list[str]:
        """Suites with at least one stored run."""
        rows = self._db.execute(f"SELECT DISTINCT suite FROM {self._p}runs ORDER BY suite")
        return [r[0] for r in rows]

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()
