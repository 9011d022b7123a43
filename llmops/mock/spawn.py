"""Run the mock server in another process (so it gets its own core), for the load generator."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from llmops._proc import wait_or_kill
from llmops.errors import LlmopsError
from llmops.mock.profile import load_profile, resolve_profile_path

READY_PREFIX = "llmops mock: listening on "


@contextlib.contextmanager
def spawn_mock_server(
    profile: str | Path = "default",
    *,
    seed: int = 0,
    host: str = "127.0.0.1",
    port: int = 0,
    ready_timeout_s: float = 20.0,
) -> Iterator[str]:
    """Start ``python -m llmops.mock`` in a subprocess; yield its base URL once it listens.

    The profile is validated here first, so a bad one raises :class:`~llmops.errors.ConfigError`
    in the caller. The process is terminated (then killed) on exit, and ends by itself when the
    caller dies without a chance to stop it (kill -9): it watches its stdin, a pipe from us.
    """
    path = resolve_profile_path(profile)
    load_profile(path)
    command = [
        sys.executable,
        "-m",
        "llmops.mock",
        "--profile",
        str(path),
        "--seed",
        str(seed),
        "--host",
        host,
        "--port",
        str(port),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as errors:
        # its stdin is a pipe from us: when we die, even by kill -9, it reads EOF and stops
        proc = subprocess.Popen(
            [*command, "--exit-with-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            text=True,
        )
        try:
            yield _wait_ready(proc, errors, ready_timeout_s)
        finally:
            _stop(proc)


def _wait_ready(proc: subprocess.Popen[str], errors: IO[bytes], timeout_s: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([proc.stdout], [], [], left)
        if not readable:
            break
        line = proc.stdout.readline()
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()
        if not line:
            proc.wait(timeout=5)
            break
    _stop(proc)
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    detail = f": {lines[-1]}" if lines else ""
    raise LlmopsError(f"the mock server did not start (exit {proc.returncode}){detail}")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        wait_or_kill(proc)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()
