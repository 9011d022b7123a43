"""The same behaviour from both history backends (SQLite file, PostgreSQL server)."""

from __future__ import annotations

import socket

import pytest

from llmops.errors import ConfigError
from llmops.redact import redact_urls
from llmops.stores.history import HistoryStore
from llmops.workflows.evals.records import EvalRun
from tests.evals.conftest import make_run


def test_a_run_reads_back_equal(store: HistoryStore) -> None:
    run = make_run()
    run.meta["mock_profile"] = "drift"
    store.append(run)
    assert store.query("s") == [run]


def test_query_filters_by_suite_and_time_oldest_first(store: HistoryStore) -> None:
    runs = [make_run(at=t) for t in (300.0, 100.0, 200.0)]
    for r in runs:
        store.append(r)
    store.append(make_run(suite="other", at=150.0))
    got = store.query("s", since=150.0, until=300.0)
    assert [r.started_at for r in got] == [200.0]
    assert [r.started_at for r in store.query("s")] == [100.0, 200.0, 300.0]


def test_append_is_whole_or_nothing(store: HistoryStore) -> None:
    good = make_run(at=1.0)
    store.append(good)
    bad = make_run(at=2.0)
    bad.cases.append(bad.cases[0])
    bad.run_id = good.run_id  # the run row collides: nothing of it may be written
    with pytest.raises(Exception):  # noqa: B017 - each driver raises its own IntegrityError
        store.append(bad)
    assert [r.run_id for r in store.query("s")] == [good.run_id]
    assert store.query("s")[0].cases == good.cases


def test_a_failed_case_insert_rolls_back_the_run(store: HistoryStore) -> None:
    run = make_run(at=5.0)
    run.cases[1].case_id = None  # type: ignore[assignment]  # NOT NULL violation mid-run
    with pytest.raises(Exception):  # noqa: B017
        store.append(run)
    assert store.query("s") == []


def test_suites_lists_stored_suites(store: HistoryStore) -> None:
    store.append(make_run(suite="b"))
    store.append(make_run(suite="a"))
    assert store.suites() == ["a", "b"]


def test_model_reported_is_the_most_common(store: HistoryStore) -> None:
    run: EvalRun = make_run(passes={"a": [True, True], "b": [True]})
    run.cases[2].model_reported = "m-2"
    store.append(run)
    assert store.query("s")[0].model_reported == "m-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://u:hunter2@h:5432/db", "postgresql://u:***@h:5432/db"),
        (
            "postgresql://u@h/db?sslmode=require&password=hunter2",
            "postgresql://u@h/db?sslmode=require&password=***",
        ),
        (
            "openai API at https://x.openai.azure.com/v1?api-version=1&api-key=sk-1 (model m)",
            "openai API at https://x.openai.azure.com/v1?api-version=1&api-key=*** (model m)",
        ),
        ("https://h/v1?access_token=t0k&x=1", "https://h/v1?access_token=***&x=1"),
    ],
)
def test_redact_urls_masks_passwords_and_key_parameters(text: str, expected: str) -> None:
    assert redact_urls(text) == expected


def test_unreachable_postgres_error_is_one_line_without_the_password() -> None:
    pytest.importorskip("psycopg")
    from llmops.stores.history_postgres import PostgresHistory

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://u:hunter1@127.0.0.1:{port}/db?password=hunter2&connect_timeout=2"
    with pytest.raises(ConfigError) as err:
        PostgresHistory(url)
    message = str(err.value)
    assert "hunter" not in message and "\n" not in message
    assert f"127.0.0.1:{port}" in message
