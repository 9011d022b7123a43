"""Eval fixtures: both history stores (real SQLite, real PostgreSQL) and small runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from llmops.stores.history import HistoryStore
from llmops.workflows.evals.records import CaseRecord, CheckVerdict, EvalRun


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HistoryStore]:
    """Each history backend, empty; PostgreSQL in a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        from llmops.stores.history_sqlite import SqliteHistory

        s = SqliteHistory(tmp_path_factory.mktemp("hist") / "history.sqlite3")
        yield s
        s.close()
        return
    url = request.getfixturevalue("postgres_url")
    import psycopg

    from llmops.stores.history_postgres import PostgresHistory

    schema = f"t_{uuid.uuid4().hex[:12]}"
    pg = PostgresHistory(url, schema=schema)
    try:
        yield pg
    finally:
        pg.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def make_run(
    suite: str = "s",
    at: float = 1000.0,
    passes: dict[str, list[bool]] | None = None,
    model: str = "m-1",
    suite_hash: str = "h1",
    config_hash: str = "c1",
    commit: str | None = "abc",
) -> EvalRun:
    """A run whose cases pass as ``passes`` says (case id -> one bool per repetition)."""
    passes = passes if passes is not None else {"a": [True], "b": [False]}
    cases = [
        CaseRecord(
            cid,
            r,
            ok,
            "out" if ok else "bad",
            [CheckVerdict("equals:out", ok, None, "" if ok else "got 'bad'")],
            latency_s=0.1,
            input_tokens=5,
            output_tokens=1,
            model_requested="m",
            model_reported=model,
            system_fingerprint="fp",
        )
        for cid, oks in passes.items()
        for r, ok in enumerate(oks)
    ]
    return EvalRun(
        uuid.uuid4().hex, suite, at, at + 1, suite_hash, config_hash, commit, "t", "m", cases
    )
