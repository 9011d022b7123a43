"""``llmops loadtest --workers N``, ``--shard I/N`` and ``--merge`` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from llmops.cli.app import app
from llmops.mock import spawn_mock_server

FAST_PROFILE = """\
name: fast
latency: {ttft_s: 0.02, time_per_token_s: 0.0005, jitter: 0}
capacity: {slots: 64, queue: 64}
output_tokens: {mean: 20, sigma: 0, min: 20, max: 20}
"""


@pytest.fixture
def mock_url(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "fast.yaml"
    path.write_text(FAST_PROFILE)
    with spawn_mock_server(path) as url:
        yield url


def llmops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmops", "loadtest", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
    )


def test_two_workers_report_one_table_and_hold_the_concurrency_limit(
    mock_url: str, tmp_path: Path
) -> None:
    (tmp_path / "llmops.yaml").write_text("limits:\n  max_concurrency: 3\n")
    done = llmops(
        "--workers", "2", "--levels", "2,6", "--requests", "40",
        "--config", "llmops.yaml", "--target", mock_url + "/v1", "--model", "mock-1",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("llmops loadtest ·") == 1 and "Traceback" not in done.stderr
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    levels = report["levels"]
    assert [lv["load"] for lv in levels] == [2, 6]
    assert [lv["requests"] for lv in levels] == [40, 40]
    assert [w["part"] for w in levels[1]["self_check"]["workers"]] == ["worker 1/2", "worker 2/2"]
    stats = httpx.get(mock_url + "/_mock/stats").json()
    assert stats["requests"] >= 80
    assert 0 < stats["max_in_flight"] <= 3


def test_two_shards_then_merge_give_one_report(mock_url: str, tmp_path: Path) -> None:
    common = ("--levels", "2,4", "--requests", "20", "--target", mock_url + "/v1",
              "--provider", "openai", "--model", "mock-1")  # fmt: skip
    for i in (1, 2):
        shard = llmops("--shard", f"{i}/2", *common, cwd=tmp_path)
        assert shard.returncode == 0, shard.stderr
    parts = sorted(str(p) for p in (tmp_path / "reports").glob("loadtest-part-*-latest.json"))
    assert len(parts) == 2
    merged = llmops("--merge", *parts, cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.count("llmops loadtest ·") == 1
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    assert [lv["requests"] for lv in report["levels"]] == [20, 20]
    assert "knee" in report
    # the shards ran one after the other: the merged report says its rates are not concurrent
    assert "did not run at the same time" in " ".join(report["verdict"])


def test_ctrl_c_with_workers_ends_with_exit_130_and_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmops", "loadtest", "--workers", "2", "--levels", "2,4",
         "--requests", "100000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and "llmops loadtest" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
        assert "llmops loadtest" in line
        # what a terminal's Ctrl-C does: SIGINT to the command, its workers and its mock alike
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "3/2"], "--shard: got '3/2', expected I/N with 1 <= I <= N"),
        (["--shard", "0/2"], "--shard: got '0/2'"),
        (["--shard", "half"], "--shard: got 'half'"),
        (["--workers", "0"], "--workers: got '0'"),
        (["--workers", "many"], "--workers: got 'many'"),
        (["--level-every", "30s"], "--level-every: give --start-at too"),
        (["--start-at", "soon"], "--start-at: got 'soon'"),
        (["--start-at", "2030-01-01T00:00:00Z"], "--start-at: give --level-every too"),
        (["--barrier-timeout", "5s"], "--barrier-timeout: only for shards meeting in Redis"),
        (["--shard", "1/2", "--barrier-timeout", "soon"], "--barrier-timeout: got 'soon'"),
        (["--merge"], "--merge: give the shards' partial reports"),
        (["part.json"], "unexpected argument 'part.json': loadtest takes files only with --merge"),
        (["--merge", "--shard", "1/2", "part.json"], "--merge: merges partial reports"),
        (["--merge", "part.json"], "part.json: no such file"),
        (["--workers", "4", "--levels", "8", "--requests", "3"], "cannot be shared among 4"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["loadtest", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_workers_progress_reaches_the_live_display(mock_url: str) -> None:
    from llmops.workflows.loadtest import (
        LevelFinished,
        LevelProgress,
        LoadtestOptions,
        run_in_parts,
        target_from_url,
    )
    from llmops.workflows.loadtest.workers import run_on_fast_loop

    seen: list[object] = []
    target = target_from_url(mock_url + "/v1", "openai", "mock-1", local=True)
    options = LoadtestOptions(levels=(4,), requests=200, progress_interval_s=0.05)
    run_on_fast_loop(run_in_parts(options, target, workers=2, observers=[seen.append]))
    progress = [e for e in seen if isinstance(e, LevelProgress) and not e.warming]
    assert progress, seen
    # the display gets the level's whole count, summed over the workers, growing to the end
    done = [e.done for e in progress]
    assert done == sorted(done) and 0 < done[-1] <= 200
    assert all(e.load == 4 for e in progress)
    assert isinstance(seen[-1], LevelFinished) and seen[-1].result.requests == 200


def test_workers_load_the_teams_own_function_too(tmp_path: Path) -> None:
    (tmp_path / "feature.py").write_text(
        "import time\n\ndef answer(prompt):\n    time.sleep(0.005)\n    return 'ok'\n"
    )
    done = llmops(
        "--target-function", "feature:answer", "--workers", "2", "--levels", "2,4",
        "--requests", "20", "--yes", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())
    assert [(lv["load"], lv["requests"], lv["successes"]) for lv in report["levels"]] == [
        (2, 20, 20),
        (4, 20, 20),
    ]
    assert len(report["levels"][1]["self_check"]["workers"]) == 2


def test_two_workers_in_open_loop_send_the_asked_rate_in_all(mock_url: str, tmp_path: Path) -> None:
    # 40 req/s for 1.5 s: 60 arrivals expected in the window, 30 from each worker (each at
    # 20/s); seeded, so the counts are fixed; tolerance 4 sigma of a Poisson count
    rate, duration = 40.0, 1.5
    done = llmops(
        "--workers", "2", "--rates", f"{rate:g}", "--duration", f"{duration:g}s",
        "--warmup", "0", "--target", mock_url + "/v1", "--model", "mock-1",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (level,) = json.loads((tmp_path / "reports" / "loadtest-latest.json").read_text())["levels"]
    lam = rate * duration
    assert abs(level["requests"] - lam) <= 4 * lam**0.5
    workers = level["self_check"]["workers"]
    assert [w["part"] for w in workers] == ["worker 1/2", "worker 2/2"]
    for worker in workers:
        assert abs(worker["requests"] - lam / 2) <= 4 * (lam / 2) ** 0.5
    assert sum(w["requests"] for w in workers) == level["requests"]
    # and the target got them all (no warm-up: every request it served was measured)
    assert httpx.get(mock_url + "/_mock/stats").json()["requests"] == level["requests"]
