"""Run a function in a forked child under a memory limit and a generous timeout.

A hostile input must be refused in bounded time and memory; if a loader regresses, the child,
not the test process, runs out of memory or hangs, and the test reports which. Forking keeps
each case cheap (the child inherits the imported package), so every case gets its own process.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmops.errors import LlmopsError

#: address space the child may add beyond what it inherits (the parent's imports)
EXTRA_MEMORY = 768 * 1024 * 1024
#: only a hang reaches this
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Outcome:
    """How a call in the child ended: ``refused`` (an llmops error), ``accepted``, ``crashed``
    (another exception), ``out-of-memory`` or ``hung``; ``detail`` is its message."""

    kind: str
    error: str = ""
    detail: str = ""
    #: what the call returned, when it is JSON (lists come back as lists)
    value: Any = None


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def _child(func: Callable[[], Any], write_fd: int) -> None:
    limit = _address_space() + EXTRA_MEMORY
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = func()
        out = {"kind": "accepted", "detail": repr(result)[:300], "value": _jsonable(result)}
    except LlmopsError as exc:
        out = {"kind": "refused", "error": type(exc).__name__, "detail": str(exc)}
    except MemoryError:
        out = {"kind": "out-of-memory"}
    except BaseException as exc:  # anything else escaping a loader is the defect we look for
        out = {
            "kind": "crashed",
            "error": type(exc).__name__,
            "detail": "".join(traceback.format_exception(exc))[-2000:],
        }
    data = json.dumps(out).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(write_fd, view) :]


def run_bounded(func: Callable[[], Any], *, timeout_s: float = TIMEOUT_S) -> Outcome:
    """Call ``func`` in a forked child limited to :data:`EXTRA_MEMORY` more address space."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        try:
            _child(func, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    hung = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                hung = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if ready:
                chunk = os.read(read_fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_fd)
        if hung:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if hung:
        return Outcome("hung")
    if not chunks:
        return Outcome("out-of-memory", detail="the child died without a result")
    data = json.loads(b"".join(chunks))
    return Outcome(data["kind"], data.get("error", ""), data.get("detail", ""), data.get("value"))
