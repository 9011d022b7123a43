"""Streamed SDK requests, live: the provider's bytes reach the SDK as they arrive.

The engine call of a streamed request runs in a task of its own, because the SDK gets its
response (status and headers) before it reads the body. The task posts, in order, to an outbox
the response's body reads:

- one :class:`~llmops.sdk.transport.Reply` when nothing was streamed (the request was refused,
  a fallback answered, the feature's ``error`` fallback, a shed call): the SDK sees exactly
  what it sees for a buffered call;
- else a :class:`Head` as soon as the provider's first output arrives (earlier failures were
  retried or failed over by the engine), then the body's bytes as they arrive, then
  :data:`END`. A failure once tokens are out can no longer be retried or hidden behind a
  fallback: it ends the stream with an error event in the wire format, which the SDK raises
  as its own stream error.

The SDK's async clients get an ``AsyncByteStream`` over an anyio memory stream, the sync clients
a ``SyncByteStream`` over a thread-safe queue filled from the engine's loop thread.

A live call ends early when the SDK closes its response (the call is cancelled), and when the
transport that started it is closed (:class:`LiveCalls`): a detached task must not run on to
its deadline after its client has gone. Either way its ``call_finished`` event says
``cancelled``, and a body still read ends with an error event.
"""

from __future__ import annotations

import asyncio
import math
import queue
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import orjson

from llmops.engine.engine import Engine
from llmops.sdk.call import OUTCOME_HEADER, REQUEST_ID_HEADER, Reply, through_engine
from llmops.sdk.wire import NO_RETRY, error_body, error_event, wire_of

__all__ = [
    "CLOSE_WAIT_S",
    "END",
    "Head",
    "LiveCall",
    "LiveCalls",
    "async_body",
    "run_live",
    "spawn",
    "sync_body",
]

#: the end of a live body
END = None
#: how long closing a transport waits for its cancelled live calls to wind down (giving back
#: their limiter reservations and breaker permits) before it goes on
CLOSE_WAIT_S = 10.0
#: what the engine's task posts: a whole Reply, or a Head, bytes... and END
Post = Callable[[object], None]


@dataclass(frozen=True, slots=True)
class Head:
    """A live response's status line and headers (its body follows)."""

    headers: dict[str, str]


class LiveCall:
    """Cancels a live call's engine task when the SDK closes the response early (or its
    transport is closed); :attr:`ended` is set once the task has finished."""

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None
        self.cancelled = False
        #: made on the engine's loop when the task starts (see :meth:`LiveCalls.running`)
        self.ended: anyio.Event | None = None

    def cancel(self) -> None:
        """Stop the call (on the loop that runs it), or keep it from starting."""
        self.cancelled = True
        if self.scope is not None:
            self.scope.cancel()


class LiveCalls:
    """The live calls one transport started that are still running, so that closing the
    transport ends them. Used only on the event loop that runs the calls."""

    def __init__(self) -> None:
        self._running: set[LiveCall] = set()
        self._closed = False

    @contextmanager
    def running(self, call: LiveCall) -> Iterator[None]:
        """Hold ``call`` as running for the body of the ``with``; cancelled at once if the
        transport was closed before its task could start."""
        call.ended = anyio.Event()
        if self._closed:
            call.cancel()
        self._running.add(call)
        try:
            yield
        finally:
            self._running.discard(call)
            call.ended.set()

    async def aclose(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Cancel every running call and wait until each has ended (at most ``wait_s``, even
        when the closing task is itself being cancelled)."""
        self._closed = True
        calls = list(self._running)
        for call in calls:
            call.cancel()
        with anyio.move_on_after(wait_s, shield=True):
            for call in calls:
                assert call.ended is not None
                await call.ended.wait()


async def run_live(
    engine: Engine,
    feature: str,
    path: str,
    body: bytes,
    post: Post,
    call: LiveCall,
    calls: LiveCalls,
) -> None:
    """Run one streamed SDK request through ``engine``, posting what the SDK reads (see the
    module docstring), held in ``calls`` while it runs. Every outcome is posted, ending with a
    whole Reply or :data:`END`; nothing is raised but cancellation from outside (after which
    the body just ends)."""
    with calls.running(call):
        await _run_live(engine, feature, path, body, post, call)


async def _run_live(
    engine: Engine, feature: str, path: str, body: bytes, post: Post, call: LiveCall
) -> None:
    rid = engine.new_request_id()  # known before the call: the head carries it
    wire = wire_of(path) or "openai"
    head = {
        "content-type": "text/event-stream",
        OUTCOME_HEADER: "ok",  # a live body's tokens come from the model
        REQUEST_ID_HEADER: rid,
        **NO_RETRY,
    }
    started = False
    closing: bytes | None = None  # what ends a started body before END: an error event

    def on_bytes(data: bytes) -> None:
        nonlocal started
        if not started:
            started = True
            post(Head(head))
        post(data)

    reply: Reply | None = None
    try:
        with anyio.CancelScope() as scope:
            call.scope = scope
            if call.cancelled:
                scope.cancel()
            reply = await through_engine(
                engine, feature, path, body, on_bytes=on_bytes, request_id=rid
            )
            if reply.status != 200 or reply.headers.get(OUTCOME_HEADER) != "ok":
                why = _message(reply) or reply.headers.get(OUTCOME_HEADER) or "failed"
                closing = error_event(
                    wire, f"the stream failed after its first tokens: {why}", "api_error"
                )
        if reply is None and started:  # cancelled (see LiveCall) after its first tokens
            closing = error_event(wire, "the stream was cancelled before its end", "api_error")
    except Exception as exc:  # a bug of ours: the SDK still gets an answer, not a hang
        message = f"llmops failed: {type(exc).__name__}: {exc}"
        reply = Reply(
            500,
            {"content-type": "application/json", **NO_RETRY},
            error_body(wire, message, "api_error"),
        )
        closing = error_event(wire, message, "api_error")
    finally:
        if started:
            if closing is not None:
                post(closing)
            post(END)
        else:
            post(reply or Reply(499, {**NO_RETRY}, error_body(wire, "cancelled", "api_error")))


def _message(reply: Reply) -> str | None:
    """The message of an error reply's body (either wire format), if it has one."""
    try:
        data = orjson.loads(reply.body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("message")) if isinstance(error, dict) else None


# -- async: a detached task and an anyio memory stream -----------------------------------------


def spawn(func: Callable[[], Awaitable[None]]) -> None:
    """Run ``func()`` in a task outside any task group: the response outlives the request
    handler. On trio a system task (which must not raise: :func:`run_live` never does)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        import trio

        trio.lowlevel.spawn_system_task(func)
        return
    task: asyncio.Task[None] = loop.create_task(_run(func))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


_TASKS: set[asyncio.Task[None]] = set()


async def _run(func: Callable[[], Awaitable[None]]) -> None:
    await func()


async def async_body(
    http: Any, engine: Engine, feature: str, path: str, body: bytes, calls: LiveCalls
) -> tuple[Reply | Head, Any]:
    """Start a live call (held in ``calls``); its first post (a whole Reply, or the Head) and
    the body stream."""
    send, receive = anyio.create_memory_object_stream[object](math.inf)
    call = LiveCall()

    def post(item: object) -> None:
        try:
            send.send_nowait(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            call.cancel()  # the SDK has gone: stop the call

    spawn(lambda: run_live(engine, feature, path, body, post, call, calls))
    first = await receive.receive()
    assert isinstance(first, Reply | Head)

    class Body(http.AsyncByteStream):  # type: ignore[misc]
        async def __aiter__(self) -> AsyncIterator[bytes]:
            async for item in receive:
                if item is END:
                    return
                assert isinstance(item, bytes)
                yield item

        async def aclose(self) -> None:
            call.cancel()
            await receive.aclose()

    return first, Body()


# -- sync: the engine's loop thread and a thread-safe queue ------------------------------------


def sync_body(
    http: Any,
    start: Callable[[Callable[[], Awaitable[None]]], Future[None]],
    engine: Engine,
    feature: str,
    path: str,
    body: bytes,
    calls: LiveCalls,
) -> tuple[Reply | Head, Any]:
    """Start a live call on the engine's loop (``start`` submits a coroutine function there),
    held in ``calls``; its first post and the body stream. Each wait is bounded by the
    engine's call timeout."""
    items: queue.Queue[object] = queue.Queue()
    call = LiveCall()
    future = start(lambda: run_live(engine, feature, path, body, items.put, call, calls))
    bound = engine.config.limits.timeout_s + 60.0

    def take() -> object:
        try:
            return items.get(timeout=bound)
        except queue.Empty:
            future.cancel()
            raise http.ReadTimeout(f"no answer from the engine in {bound:g}s") from None

    first = take()
    assert isinstance(first, Reply | Head)

    class Body(http.SyncByteStream):  # type: ignore[misc]
        def __iter__(self) -> Iterator[bytes]:
            while (item := take()) is not END:
                assert isinstance(item, bytes)
                yield item

        def close(self) -> None:
            future.cancel()

    return first, Body()
