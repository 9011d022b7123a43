"""``--workers`` with ``--shared-state`` and ``state: redis``: every worker process takes from
the one Redis limiter, so the configured requests-per-minute limit holds for the whole run."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from llmops.config import config_from_dict
from llmops.mock import spawn_mock_server
from llmops.workflows.loadtest import LoadtestOptions, target_from_url
from llmops.workflows.loadtest.distributed import run_in_parts
from llmops.workflows.loadtest.workers import run_on_fast_loop

FAST_PROFILE = """\
name: fast
latency: {ttft_s: 0.01, time_per_token_s: 0.0005, jitter: 0}
capacity: {slots: 64, queue: 64}
output_tokens: {mean: 10, sigma: 0, min: 10, max: 10}
"""


@pytest.fixture
def mock_url(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "fast.yaml"
    path.write_text(FAST_PROFILE)
    with spawn_mock_server(path) as url:
        yield url


def test_two_workers_share_one_redis_limiter(redis_url: str, mock_url: str) -> None:
    # 120 requests/min with 1 s of burst, in Redis: 2 at once, then 2 a second for everyone
    prefix = f"t{uuid.uuid4().hex}"
    base = config_from_dict(
        {
            "limits": {"requests_per_minute": 120, "burst": 1},
            "state": {"backend": "redis", "url": redis_url, "key_prefix": prefix},
        },
        source="test",
    )
    target = target_from_url(mock_url + "/v1", "openai", "mock-1", local=True, base=base)
    options = LoadtestOptions(levels=(4,), duration_s=2.0, warmup=0, shared_state=True)
    share = run_on_fast_loop(run_in_parts(options, target, workers=2))
    (record,) = share.records
    assert [c["part"] for c in record.self_checks] == ["worker 1/2", "worker 2/2"]
    assert record.start is not None
    window = record.end - record.start + 1.0  # the workers' starts differ by well under 1 s
    served = httpx.get(mock_url + "/_mock/stats").json()["requests"]
    assert 0 < served <= 2 + 2 * window
    # the limit was Redis's (not divided in process): its bucket is there
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.keys(f"{prefix}*")
    finally:
        client.close()


def test_a_shard_left_alone_at_the_barrier_gives_up_in_one_line(
    redis_url: str, mock_url: str, tmp_path: Path
) -> None:
    # shard 1/2 meets in Redis (no --start-at); shard 2/2 is never started
    prefix = f"t{uuid.uuid4().hex}"
    (tmp_path / "llmops.yaml").write_text(
        f"state:\n  backend: redis\n  url: {redis_url}\n  key_prefix: {prefix}\n"
    )
    done = subprocess.run(
        [
            sys.executable, "-m", "llmops", "loadtest", "--shard", "1/2",
            "--barrier-timeout", "0.5s", "--levels", "2,4", "--requests", "4",
            "--config", "llmops.yaml", "--target", mock_url + "/v1", "--model", "mock-1",
        ],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "stopped before 2: waited 0.5s at the shards' start barrier" in line
    assert "1 of 2 shards arrived; missing 2/2" in line and "Traceback" not in done.stderr
    # no level finished: no partial report claims one
    assert not list((tmp_path / "reports").glob("loadtest-part-*"))
