"""A consumer killed with SIGKILL mid-item loses nothing: the item is delivered again.

The consumer is a real OS process that takes an item and is killed before acknowledging it;
the test then takes from the same queue (SQLite file or Redis stream) once the lease has run out.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmops.stores.reprocess import ReprocessQueue
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from tests.queue.helpers import redis_prefix, until_a_lease_ends

pytestmark = pytest.mark.anyio

CONSUMER = """
import sys, anyio
from llmops.stores.reprocess_sqlite import SqliteReprocessQueue
from llmops.stores.reprocess_redis import RedisReprocessQueue

async def main() -> None:
    backend, target, prefix = sys.argv[1:4]
    if backend == "sqlite":
        q = SqliteReprocessQueue(target, "f", lease_s=60)
    else:
        q = RedisReprocessQueue.from_url(target, "f", key_prefix=prefix, lease_s=60)
    [item] = await q.take("doomed")
    print(item.id, flush=True)
    await anyio.sleep_forever()  # mid-item: SIGKILL arrives here

anyio.run(main)
"""


class AnHourLater:
    def wall(self) -> float:
        return time.time() + 3600


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def take_in_a_process_then_kill(backend: str, target: str, prefix: str) -> str:
    """Run a consumer that takes one item; SIGKILL it once it has; the item id it held."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, backend, target, prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the consumer did not take an item within 30 s"
        assert proc.stdout is not None
        held = proc.stdout.readline().decode().strip()
        assert held, proc.stderr.read().decode() if proc.stderr else "no output"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return held


@pytest.fixture(params=["sqlite", "redis"])
def queue_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "q.sqlite3"), ""
        return
    url = request.getfixturevalue("redis_url")
    with redis_prefix(url) as prefix:
        yield "redis", url, prefix


async def test_an_item_held_by_a_killed_consumer_is_delivered_again(
    queue_target: tuple[str, str, str],
) -> None:
    backend, target, prefix = queue_target
    q: ReprocessQueue
    if backend == "sqlite":
        # leases are wall-clock deadlines in the file: read the file an hour later
        q = SqliteReprocessQueue(target, "f", lease_s=60, clock=AnHourLater())
    else:
        from llmops.stores.reprocess_redis import RedisReprocessQueue

        q = RedisReprocessQueue.from_url(target, "f", key_prefix=prefix, lease_s=0.05)
    ids = [
        await q.enqueue([{"role": "user", "content": f"m{i}"}], "server_error") for i in range(3)
    ]

    held = take_in_a_process_then_kill(backend, target, prefix)
    assert held == ids[0]

    if backend == "redis":  # the Redis server's clock ends the lease
        await until_a_lease_ends(q, 100)
    taken = await q.take("survivor", limit=10)
    await q.aclose()
    assert [c.id for c in taken] == ids  # nothing lost, still in enqueue order
    assert [c.attempts for c in taken] == [2, 1, 1]  # the killed consumer's item: delivered again
