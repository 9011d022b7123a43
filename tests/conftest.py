"""Project-wide fixtures: real PostgreSQL and Redis for the tests that need them.

Each fixture uses ``LLMOPS_TEST_POSTGRES_URL`` / ``LLMOPS_TEST_REDIS_URL`` when set; otherwise
the default local server if it answers; otherwise a server binary found on PATH, started on a
free loopback port in a temporary directory for the session; otherwise the test is skipped with
the reason — unless ``LLMOPS_REQUIRE_SERVICES=1`` (CI), where that skip is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
_REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def _unavailable(reason: str) -> None:
    if os.environ.get("LLMOPS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable (LLMOPS_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_answers(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _start_postgres(tmp: Path) -> tuple[str, Path] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        return None
    data = tmp / "pgdata"
    user = ["-U", "postgres"]
    if os.geteuid() == 0:  # postgres refuses to run as root
        return None
    subprocess.run([initdb, "-D", str(data), "-A", "trust", *user], check=True, capture_output=True)
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp}"
    subprocess.run(
        [pg_ctl, "-D", str(data), "-o", opts, "-l", str(tmp / "pg.log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    return url, data


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[str | None]:
    url = os.environ.get("LLMOPS_TEST_POSTGRES_URL")
    if url:
        yield url if _pg_answers(url) else None
        return
    if _pg_answers(_PG_DEFAULT):
        yield _PG_DEFAULT
        return
    with tempfile.TemporaryDirectory(prefix="llmops-pg-") as tmp:
        try:
            started = _start_postgres(Path(tmp))
        except (OSError, subprocess.CalledProcessError):
            started = None
        if started is None:
            yield None
            return
        url, data = started
        try:
            yield url
        finally:
            pg_ctl = shutil.which("pg_ctl") or "pg_ctl"
            subprocess.run(
                [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
            )


@pytest.fixture
def postgres_url(_postgres_server: str | None) -> str:
    """A PostgreSQL URL (trust auth). Tests isolate themselves with their own schema."""
    if _postgres_server is None:
        _unavailable("no PostgreSQL: set LLMOPS_TEST_POSTGRES_URL or install initdb/pg_ctl")
    assert _postgres_server is not None
    return _postgres_server


def _redis_answers(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def _redis_server() -> Iterator[str | None]:
    url = os.environ.get("LLMOPS_TEST_REDIS_URL")
    if url:
        yield url if _redis_answers(url) else None
        return
    if _redis_answers(_REDIS_DEFAULT):
        yield _REDIS_DEFAULT
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="llmops-redis-") as tmp:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for _ in range(100):  # wait for the server to accept connections (not test logic)
                if _redis_answers(url):
                    break
                time.sleep(0.05)
            yield url if _redis_answers(url) else None
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def redis_url(_redis_server: str | None) -> str:
    """A Redis URL. Tests isolate themselves with their own key prefix."""
    if _redis_server is None:
        _unavailable("no Redis: set LLMOPS_TEST_REDIS_URL or install redis-server")
    assert _redis_server is not None
    return _redis_server
