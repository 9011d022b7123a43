"""``llmops queue status|dead|drain`` in-process: output, exit codes, bad input."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest
import yaml

from llmops.cli.app import app
from llmops.cli.common import run_guarded
from llmops.mock.spawn import spawn_mock_server
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue


def llmops(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["llmops", *args])
    return run_guarded(app)


def write_config(tmp_path: Path, base_url: str = "http://127.0.0.1:9/v1", **state: Any) -> Path:
    data: dict[str, Any] = {
        "providers": {"main": {"kind": "openai", "base_url": base_url, "model": "mock-1"}},
        "features": {
            "summarize": {"fallback": {"strategy": "queue", "path": str(tmp_path / "q.sqlite3")}},
            "chat": {},
        },
    }
    if state:
        data["state"] = state
    path = tmp_path / "llmops.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def enqueue(tmp_path: Path, n: int, *, bad: int = 0) -> None:
    async def fill() -> None:
        q = SqliteReprocessQueue(tmp_path / "q.sqlite3", "summarize")
        for i in range(n):
            await q.enqueue([{"role": "user", "content": f"question {i}"}], "overloaded")
        await q.aclose()

    anyio.run(fill)
    with sqlite3.connect(tmp_path / "q.sqlite3") as db:
        for _ in range(bad):
            db.execute(
                "INSERT INTO reprocess_queue (feature, messages, error_type, enqueued_at)"
                " VALUES ('summarize', 'garbage', 'x', 0)"
            )


def test_status_prints_the_counts_of_each_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    enqueue(tmp_path, 3)
    assert llmops(monkeypatch, "queue", "status", "-c", str(config)) == 0
    assert "summarize: 3 waiting, 0 leased, 0 dead" in capsys.readouterr().out


@pytest.mark.loopback
def test_drain_writes_each_answer_then_empties_the_queue_and_dead_lists_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    enqueue(tmp_path, 3, bad=1)
    out = tmp_path / "answers.jsonl"
    with spawn_mock_server("default") as url:
        config = write_config(tmp_path, base_url=f"{url}/v1")
        code = llmops(
            monkeypatch, "queue", "drain", "--feature", "summarize", "-c", str(config),
            "--out", str(out),
        )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [line["messages"][0]["content"] for line in lines] == [f"question {i}" for i in range(3)]
    assert all(line["answer"] and line["feature"] == "summarize" for line in lines)
    assert "3 answered, 0 failed" in capsys.readouterr().out
    assert llmops(monkeypatch, "queue", "status", "-c", str(config)) == 0
    assert "summarize: 0 waiting, 0 leased, 1 dead" in capsys.readouterr().out
    assert llmops(monkeypatch, "queue", "dead", "-c", str(config)) == 0
    [dead] = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert dead["reason"].startswith("cannot decode") and dead["payload"] == "garbage"


def test_a_feature_without_a_queue_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert llmops(monkeypatch, "queue", "drain", "--feature", "sumarize", "-c", str(config)) == 2
    err = capsys.readouterr().err
    assert "--feature" in err and "did you mean 'summarize'" in err.lower()


def test_an_unreachable_state_url_is_one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("redis")
    config = write_config(
        tmp_path, backend="redis", url="redis://:hunter2@127.0.0.1:1/0", key_prefix="t"
    )
    assert llmops(monkeypatch, "queue", "status", "-c", str(config)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "state.url" in err and "127.0.0.1:1" in err and "hunter2" not in err
