"""Eval history in PostgreSQL (psycopg 3), for teams whose CI runners are ephemeral."""

from __future__ import annotations

import re
from typing import Any

from llmops.errors import ConfigError
from llmops.redact import redact_urls
from llmops.stores.history_rows import (
    CASE_COLUMNS,
    RUN_COLUMNS,
    case_from_row,
    case_rows,
    run_from_row,
    run_row,
)
from llmops.workflows.evals.records import CaseRecord, EvalRun

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.{p}runs (
    run_id TEXT PRIMARY KEY, suite TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION NOT NULL, suite_hash TEXT NOT NULL, config_hash TEXT NOT NULL,
    git_commit TEXT, target TEXT NOT NULL, model_requested TEXT, meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}runs_suite_time ON {s}.{p}runs (suite, started_at);
CREATE TABLE IF NOT EXISTS {s}.{p}cases (
    run_id TEXT NOT NULL REFERENCES {s}.{p}runs(run_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, case_id TEXT NOT NULL, repeat INTEGER NOT NULL,
    passed BOOLEAN NOT NULL, output TEXT, checks TEXT NOT NULL,
    latency_s DOUBLE PRECISION NOT NULL, input_tokens INTEGER, output_tokens INTEGER,
    model_requested TEXT, model_reported TEXT, system_fingerprint TEXT, error TEXT,
    PRIMARY KEY (run_id, idx)
);
"""


class PostgresHistory:
    """:class:`~llmops.stores.history.HistoryStore` in PostgreSQL, by URL.

    Tables live in ``schema`` (created when missing) as ``{prefix}runs`` and ``{prefix}cases``;
    a run and its cases are written in one transaction.
    """

    def __init__(self, url: str, *, schema: str = "public", prefix: str = "llmops_eval_") -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "a PostgreSQL history needs psycopg: pip install 'llmops-toolkit[postgres]'"
            ) from None
        for what, name in (("schema", schema), ("table prefix", prefix)):
            if not _NAME.match(name):
                raise ConfigError(f"history {what} {name!r}: lower-case letters, digits and _")
        self._s, self._p = schema, prefix
        try:
            self._db: Any = psycopg.connect(url, autocommit=True)
            with self._db.transaction():
                self._db.execute(_SCHEMA.format(s=schema, p=prefix))
        except psycopg.Error as exc:
            why = redact_urls(" ".join(str(exc).split()))
            raise ConfigError(
                f"cannot open the eval history at {redact_urls(url)}: {why}"
            ) from None

    def append(self, run: EvalRun) -> None:
        """Insert ``run`` and its cases in one transaction."""
        t = f"{self._s}.{self._p}"
        runs_sql = (
            f"INSERT INTO {t}runs ({', '.join(RUN_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(RUN_COLUMNS))})"
        )
        cases_sql = (
            f"INSERT INTO {t}cases ({', '.join(CASE_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(CASE_COLUMNS))})"
        )
        with self._db.transaction(), self._db.cursor() as cur:
            cur.execute(runs_sql, run_row(run))
            cur.executemany(cases_sql, case_rows(run))

    def query(
        self, suite: str, since: float | None = None, until: float | None = None
    ) -> list[EvalRun]:
        """Runs of ``suite`` started in ``[since, until)``, oldest first, with their cases."""
        t = f"{self._s}.{self._p}"
        lo = since if since is not None else float("-inf")
        hi = until if until is not None else float("inf")
        runs = self._db.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM {t}runs "
            "WHERE suite = %s AND started_at >= %s AND started_at < %s "
            "ORDER BY started_at, run_id",
            (suite, lo, hi),
        ).fetchall()
        if not runs:
            return []
        ids = [r[0] for r in runs]
        by_run: dict[str, list[CaseRecord]] = {i: [] for i in ids}
        rows = self._db.execute(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM {t}cases "
            "WHERE run_id = ANY(%s) ORDER BY run_id, idx",
            (ids,),
        ).fetchall()
        for row in rows:
            by_run[row[0]].append(case_from_row(row))
        return [run_from_row(r, by_run[r[0]]) for r in runs]

    def suites(self) -> list[str]:
        """Suites with at least one stored run."""
        rows = self._db.execute(
            f"SELECT DISTINCT suite FROM {self._s}.{self._p}runs ORDER BY suite"
        ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
