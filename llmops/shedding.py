"""Load shedding for a service: a pure ASGI middleware (FastAPI, Starlette, any ASGI app).

At most ``max_in_flight`` requests run in the app; up to ``queue_limit`` more wait for a slot
(at most ``max_wait_s``); every other request is answered at once with ``429 Too Many
Requests``, a ``Retry-After`` header and a JSON error, and counted. Use the numbers ``llmops
loadtest`` recommends (the concurrency at the knee and its queue limit)::

    from fastapi import FastAPI
    from llmops.shedding import LoadShedder

    app = FastAPI()
    app.add_middleware(LoadShedder, max_in_flight=32, queue_limit=64)

Shedding early keeps the latency of the requests admitted where the load test measured it,
instead of letting every request slow down and time out together. The suggested retry delay
is the time the queue ahead needs to drain at the recent average request duration. Requests
to ``exempt_paths`` (health checks) and non-HTTP scopes (lifespan, websockets) pass through.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from llmops.engine.clock import AnyioClock, Clock
from llmops.engine.gate import ConcurrencyGate
from llmops.errors import CapacityExceeded, DeadlineExceeded

__all__ = ["LoadShedder", "ShedStats"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ShedStats:
    """What the shedder has done so far, and what it holds now."""

    admitted: int
    shed_queue_full: int
    shed_waited_too_long: int
    in_flight: int
    waiting: int

    @property
    def shed(self) -> int:
        return self.shed_queue_full + self.shed_waited_too_long


class LoadShedder:
    """ASGI middleware admitting ``max_in_flight`` requests plus a queue of ``queue_limit``.

    ``max_wait_s`` bounds the time a request waits in the queue (None: as long as it takes).
    ``clock`` is where durations are read (the engine's clock interface; anyio's by default).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        queue_limit: int = 0,
        max_wait_s: float | None = None,
        exempt_paths: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        if max_in_flight < 1 or queue_limit < 0:
            raise ValueError("max_in_flight must be at least 1 and queue_limit at least 0")
        self.app = app
        self.clock: Clock = clock or AnyioClock()
        self.gate = ConcurrencyGate(max_in_flight, queue_limit, clock=self.clock)
        self.max_wait_s = max_wait_s
        self.exempt_paths = frozenset(exempt_paths)
        self._admitted = 0
        self._shed_full = 0
        self._shed_wait = 0

    @property
    def stats(self) -> ShedStats:
        """Counts so far (admitted, shed by reason) and the requests in flight and waiting."""
        return ShedStats(
            self._admitted, self._shed_full, self._shed_wait, self.gate.in_flight, self.gate.waiting
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        slot = self.gate.slot(self.max_wait_s)
        try:
            await slot.__aenter__()
        except CapacityExceeded as exc:
            self._shed_full += 1
            await _too_many(send, "overloaded", str(exc), exc.retry_after)
            return
        except DeadlineExceeded as exc:
            self._shed_wait += 1
            await _too_many(send, "queue_timeout", str(exc), self.gate.suggested_retry_after())
            return
        self._admitted += 1
        start = self.clock.now()
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.observe_duration(self.clock.now() - start)
            await slot.__aexit__(None, None, None)


async def _too_many(send: Send, kind: str, message: str, retry_after: float | None) -> None:
    """A 429 with ``Retry-After`` (whole seconds, at least 1) and a JSON error body."""
    seconds = max(1, math.ceil(retry_after or 1))
    body = orjson.dumps({"error": {"type": kind, "message": message, "retry_after_s": seconds}})
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(seconds).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
