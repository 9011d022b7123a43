"""Light worker processes that scan byte ranges of large files, and the parent side that feeds them.

A worker is a fresh interpreter started with :data:`BOOT`: it registers bare package objects for
``llmops``, ``llmops.core`` and ``llmops.workflows.profile`` so that importing the scanner does not
run those packages' ``__init__`` modules (the engine, pydantic, numpy, the analysis), then serves
tasks. So a worker holds the scanner, msgspec and the language detector, ~20 MB (~32 MB while
scanning: a read chunk, its lines, the language memo), instead of the whole library and the
command line (~60 MB), and starts in a fraction of the time.

Protocol over the worker's stdin/stdout, each message a 4-byte length and a pickle: the parent
sends ``(path, start, end, options)`` tasks (``None`` to stop), the worker answers
``("progress", bytes)`` per chunk read and ``("done", ScanResult)`` per task, or ``("error", text)``.
Tasks are handed out one at a time as workers finish, so a slow core does not hold up the rest.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from llmops._proc import wait_or_kill
from llmops.workflows.profile.read import ScanOptions, ScanResult, scan_stream

__all__ = ["BOOT", "scan_ranges", "serve"]

Task = tuple[str, int, int]

#: the worker's program: bare parent packages, then :func:`serve`
BOOT = """
import os, sys, types
root = sys.argv[1]
for name in ("llmops", "llmops.core", "llmops.workflows.profile"):
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(root, *name.split(".")[1:])]
    sys.modules[name] = module
from llmops.workflows.profile.pool import serve
serve()
"""
_HEADER = struct.Struct("<I")
#: what the parent sends a worker to make it stop reading and answer with what it has
_STOP_READING = getattr(signal, "SIGUSR1", signal.SIGTERM)


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes, reading no further (an unbuffered pipe may return less per read)."""
    data = b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            raise EOFError("profile worker closed its pipe")
        data += more
    return data


def _receive(stream: IO[bytes]) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
    return pickle.loads(_read_exactly(stream, size))


def serve() -> None:
    """Worker side: scan the ranges the parent sends until it sends ``None``."""
    # Ctrl-C at a terminal reaches the whole process group: the parent decides (it tells us
    # to stop reading with SIGUSR1, and we answer with what we have read)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = [False]
    signal.signal(_STOP_READING, lambda *_: stopping.__setitem__(0, True))
    gc.disable()  # the scan makes no reference cycles; collections would only cost time
    gc.freeze()  # and what is imported by now is never looked at again
    tasks, answers = sys.stdin.buffer, sys.stdout.buffer
    # the parent closing our pipes (it was stopped, e.g. Ctrl-C) ends us quietly
    with contextlib.suppress(BrokenPipeError, EOFError):
        _serve(tasks, answers, stopping)


class _Ending:
    """A file that reads as ended once ``stopping[0]`` is set."""

    def __init__(self, inner: IO[bytes], stopping: list[bool]) -> None:
        self._inner = inner
        self._stopping = stopping

    def read(self, size: int = -1) -> bytes:
        return b"" if self._stopping[0] else self._inner.read(size)


def _serve(tasks: IO[bytes], answers: IO[bytes], stopping: list[bool]) -> None:
    while True:
        task = _receive(tasks)
        if task is None:
            return
        path, start, end, options = task
        try:
            with open(path, "rb") as f:
                f.seek(start)
                result = scan_stream(
                    _Ending(f, stopping), path, options, limit=end - start,
                    on_bytes=lambda n: _send(answers, ("progress", n)),
                )  # fmt: skip
        except BrokenPipeError:
            raise
        except Exception as exc:  # reported by the parent, with the worker's own words
            _send(answers, ("error", f"{type(exc).__name__}: {exc}"))
            return
        _send(answers, ("done", result))


def _start(count: int) -> list[subprocess.Popen[bytes]]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, "-c", BOOT, root]
    return [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        for _ in range(count)
    ]


def scan_ranges(
    tasks: Sequence[Task],
    options: ScanOptions,
    workers: int,
    progress: Callable[[int], None],
    stop: Callable[[], bool] | None = None,
) -> list[ScanResult | None]:
    """Scan every ``(path, start, end)`` range in ``workers`` processes; results in task order.

    Once ``stop()`` is true (Ctrl-C) the workers are stopped: the ranges not finished by then
    are ``None``.
    """
    procs = _start(min(workers, len(tasks)))
    results: dict[int, ScanResult] = {}
    todo = list(enumerate(tasks))[::-1]
    selector = selectors.DefaultSelector()
    running: dict[int, int] = {}  # worker index -> task index
    stopped = False
    try:
        for i, proc in enumerate(procs):
            assert proc.stdout is not None
            selector.register(proc.stdout, selectors.EVENT_READ, i)
            _next_task(proc, i, todo, running, options, selector)
        while running:
            if stop is not None and not stopped and stop():
                stopped = True
                # Ctrl-C: no more ranges; the running ones end at their next chunk, with what
                # they have read (a worker reads SIGUSR1 as "stop reading")
                todo.clear()
                for i in running:
                    with contextlib.suppress(OSError):
                        procs[i].send_signal(_STOP_READING)
            for key, _ in selector.select(timeout=None if stop is None else 0.2):
                i = key.data
                try:
                    kind, payload = _receive(key.fileobj)  # type: ignore[arg-type]
                except EOFError:
                    if not stopped:
                        raise
                    # told to stop before it had set up its handler (still starting), the
                    # worker ended without an answer: its range is one not finished
                    running.pop(i, None)
                    selector.unregister(key.fileobj)
                    continue
                if kind == "progress":
                    progress(payload)
                elif kind == "done":
                    results[running.pop(i)] = payload
                    _next_task(procs[i], i, todo, running, options, selector)
                else:
                    raise RuntimeError(f"profile worker failed: {payload}")
    finally:
        selector.close()
        for proc in procs:
            _stop(proc)
    return [results.get(k) for k in range(len(tasks))]


def _next_task(
    proc: subprocess.Popen[bytes],
    i: int,
    todo: list[tuple[int, Task]],
    running: dict[int, int],
    options: ScanOptions,
    selector: selectors.BaseSelector,
) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    if todo:
        k, (path, start, end) = todo.pop()
        running[i] = k
        _send(proc.stdin, (path, start, end, options))
    else:
        _send(proc.stdin, None)
        selector.unregister(proc.stdout)  # its end of the pipe closes next


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    wait_or_kill(proc)  # its stdin is closed: it exits on its own
