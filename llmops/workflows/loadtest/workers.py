"""Worker processes that each run their part of a level (``llmops loadtest --workers N``).

One Python process drives one core; :class:`WorkerPool` starts ``N`` processes (the ``spawn``
start method: nothing of the parent's event loop or sockets is inherited), each with its own
event loop, transport and engine. For every level the parent sends each worker its part and an
agreed wall-clock start; each worker opens its engine, waits for that moment, runs the level
and sends back its :class:`~llmops.workflows.loadtest.record.LevelRecord`. The parent merges
them. Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group): the parent
tells them to stop through a shared event, and they end their level at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar, cast

import anyio

from llmops.errors import LlmopsError
from llmops.sigint import sigint_ignored
from llmops.workflows.loadtest.events import LevelProgress
from llmops.workflows.loadtest.options import LoadtestOptions
from llmops.workflows.loadtest.prompts import PromptSet
from llmops.workflows.loadtest.record import LevelRecord
from llmops.workflows.target import Target

__all__ = ["WorkerPool", "run_on_fast_loop"]

T = TypeVar("T")

#: how long workers may take to start (spawn, import) before the run gives up
READY_TIMEOUT_S = 60.0
#: how long after it is announced a level starts: time for every worker to open its engine
START_MARGIN_S = 0.5
_STOP_POLL_S = 0.05
#: after a stop, how long workers may take to end their level before the run gives up on them
_STOP_GRACE_S = 10.0


def run_on_fast_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on asyncio, on uvloop when it is installed (a faster loop for the load
    generator)."""
    import asyncio

    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    uvloop.install()  # pragma: no cover - Python 3.10
    return asyncio.run(coro)


class WorkerPool:
    """``len(targets)`` worker processes; worker ``w`` calls ``targets[w]`` (its share of the
    configured limits) and is named ``names[w]`` in self-checks. Use as a context manager."""

    def __init__(self, targets: Sequence[Target], names: Sequence[str], prompts: PromptSet) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self.names = list(names)
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        with sigint_ignored():
            # a child started with SIGINT ignored keeps it ignored from its first instruction
            # (Python installs its KeyboardInterrupt handler only over the default), so a
            # Ctrl-C while it imports cannot kill it with a traceback
            for target in targets:
                parent, child = ctx.Pipe()
                proc = ctx.Process(
                    target=_worker_main,
                    args=(child, self._stop, target, prompts),
                    daemon=True,
                    name="llmops-loadtest-worker",
                )
                proc.start()
                child.close()
                self._conns.append(parent)
                self._procs.append(proc)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def ready(self) -> None:
        """Wait until every worker has started (imported the load generator)."""
        for conn, proc in zip(self._conns, self._procs, strict=True):
            got = await anyio.to_thread.run_sync(_recv, conn, proc, READY_TIMEOUT_S)
            if got != "ready":
                raise LlmopsError(f"a load-test worker did not start: {got!r}")

    async def run_level(
        self,
        index: int,
        parts: Sequence[tuple[int, LoadtestOptions]],
        start_at: float | None = None,
        on_progress: Callable[[int, LevelProgress], None] | None = None,
    ) -> list[LevelRecord | None]:
        """Run level ``index``: worker ``w`` with options ``opts`` for each ``(w, opts)``,
        all starting at ``start_at`` (wall clock; default: shortly after now). A worker told to
        stop answers ``None``. ``on_progress(w, event)`` gets each worker's progress events
        (a few a second), in the event loop."""
        start = time.time() + START_MARGIN_S if start_at is None else start_at
        for w, opts in parts:
            self._conns[w].send((index, opts, self.names[w], start))
        budget = max(0.0, start - time.time()) + max(_level_budget_s(o) for _, o in parts)
        got = await anyio.to_thread.run_sync(
            self._collect, [w for w, _ in parts], budget, on_progress
        )
        if isinstance(got, BaseException):
            raise got
        return got

    def _collect(
        self,
        workers: list[int],
        timeout_s: float,
        on_progress: Callable[[int, LevelProgress], None] | None,
    ) -> list[LevelRecord | None] | BaseException:
        """(In a thread.) Read every worker's pipe as messages come, so none blocks writing
        its progress, until each has sent its record; an error instead when one fails, dies
        or takes longer than ``timeout_s`` (after a stop: than a few more seconds)."""
        pending = {self._conns[w]: w for w in workers}
        results: dict[int, LevelRecord | None] = {}
        deadline = time.monotonic() + timeout_s
        while pending:
            if self._stop.is_set():
                deadline = min(deadline, time.monotonic() + _STOP_GRACE_S)
            left = deadline - time.monotonic()
            if left <= 0:
                return LlmopsError(f"a load-test worker gave no answer within {timeout_s:.0f}s")
            ready = cast("list[Connection]", wait(list(pending), timeout=min(left, 0.2)))
            for conn in ready:
                w = pending[conn]
                try:
                    message: Any = conn.recv()
                except EOFError:
                    return _died(self._procs[w])
                if isinstance(message, tuple) and message[:1] == ("progress",):
                    if on_progress is not None:
                        anyio.from_thread.run_sync(on_progress, w, message[1])
                    continue
                if isinstance(message, BaseException):
                    return message
                results[w] = message
                del pending[conn]
            for conn, w in list(pending.items()):
                if not self._procs[w].is_alive() and not conn.poll():
                    return _died(self._procs[w])
        return [results[w] for w in workers]

    def stop(self) -> None:
        """Ask every worker to end its level now."""
        self._stop.set()

    def close(self) -> None:
        """Stop the workers and wait for them (terminating any that do not end)."""
        self._stop.set()
        for conn in self._conns:
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
        deadline = time.monotonic() + 10.0
        for conn, proc in zip(self._conns, self._procs, strict=True):
            # read what a stopped worker still sends, so it is not blocked writing it
            while proc.is_alive() and time.monotonic() < deadline:
                try:
                    if conn.poll(0.05):
                        conn.recv()
                except (EOFError, OSError):
                    break
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            conn.close()


def _level_budget_s(opts: LoadtestOptions) -> float:
    """The longest a worker's level may take before it counts as lost: generous (every
    request may wait for its whole timeout), and bounded."""
    load = opts.loads[0]
    if opts.duration_s is not None:
        return opts.duration_s + 2 * opts.timeout_s + 60.0
    requests = opts.requests_for(load) + opts.warmup_for(load)
    rounds = requests / max(1.0, load) if not opts.open_loop else requests / load
    return rounds * opts.timeout_s + 2 * opts.timeout_s + 60.0


def _died(proc: Any) -> LlmopsError:
    proc.join(timeout=1)
    return LlmopsError(f"a load-test worker ended unexpectedly (exit {proc.exitcode})")


def _recv(conn: Connection, proc: Any, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if conn.poll(0.1):
            try:
                return conn.recv()
            except EOFError:
                break
        if not proc.is_alive():
            break
    if proc.is_alive():
        return LlmopsError(f"a load-test worker gave no answer within {timeout_s:.0f}s")
    return LlmopsError(f"a load-test worker ended unexpectedly (exit {proc.exitcode})")


def _worker_main(conn: Connection, stop: Any, target: Target, prompts: PromptSet) -> None:
    """A worker: ready, then one level per message until told ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from llmops.workflows.loadtest.loadtest import measure_level  # noqa: F401 - import now

    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, opts, name, start_at = message
        try:
            record = run_on_fast_loop(
                _one_level(conn, stop, target, prompts, opts, index, name, start_at)
            )
        except Exception as exc:  # sent back: the parent raises it
            conn.send(LlmopsError(f"load-test worker {name}: {type(exc).__name__}: {exc}"))
            continue
        conn.send(record)


async def _one_level(
    conn: Connection,
    stop: Any,
    target: Target,
    prompts: PromptSet,
    opts: LoadtestOptions,
    index: int,
    name: str,
    start_at: float,
) -> LevelRecord | None:
    from llmops.engine.clock import measuring_clock
    from llmops.engine.default_transport import default_transport
    from llmops.workflows.loadtest.loadtest import measure_level

    if stop.is_set():
        return None

    def progress(event: object) -> None:
        if isinstance(event, LevelProgress):
            conn.send(("progress", event))

    transport = default_transport()
    record: LevelRecord | None = None
    try:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                # a multiprocessing event (set by the parent) cannot wake an anyio waiter
                while not stop.is_set():  # noqa: ASYNC110
                    await anyio.sleep(_STOP_POLL_S)
                group.cancel_scope.cancel()

            group.start_soon(watch)
            record = await measure_level(
                opts,
                target,
                prompts,
                transport,
                measuring_clock(),
                index,
                opts.loads[0],
                [progress],
                part=name,
                start_at=start_at,
            )
            group.cancel_scope.cancel()
    finally:
        await transport.aclose()
    return None if stop.is_set() else record
