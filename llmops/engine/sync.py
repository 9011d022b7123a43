"""A blocking face on the engine, for scripts, Django and Flask handlers and notebooks.

:class:`SyncEngine` runs one :class:`~llmops.engine.engine.Engine` on an event loop in a
background thread (anyio's blocking portal) and hands every call to it, so blocking code shares
everything the async engine does: limits, retries, the breaker, fallbacks, events. Calls from
several threads at once are fine; they meet in the engine's loop.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from llmops.config import LlmopsConfig
from llmops.engine.engine import Engine
from llmops.engine.result import CallResult

__all__ = ["SyncEngine"]

T = TypeVar("T")


class SyncEngine:
    """The engine for blocking code. Use it as a context manager (or call :meth:`close`)::

        with SyncEngine(load_config("llmops.yaml")) as engine:
            result = engine.call(feature="summarize", messages=[...])

    ``engine_options`` go to :class:`~llmops.Engine` (``transport``, ``clock``, ``observers``
    ...); ``backend`` and ``backend_options`` choose the background loop (``"asyncio"`` by
    default; tests may run ``"trio"`` with a virtual clock).
    """

    def __init__(
        self,
        config: LlmopsConfig,
        *,
        backend: str = "asyncio",
        backend_options: Mapping[str, Any] | None = None,
        **engine_options: Any,
    ) -> None:
        self.engine = Engine(config, **engine_options)
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = start_blocking_portal(
            backend, dict(backend_options or {})
        )
        self._portal: BlockingPortal | None = self._portal_cm.__enter__()
        try:
            self._portal.call(self.engine.__aenter__)
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            self._portal = self._portal_cm = None
            raise

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called (its loop no longer takes calls)."""
        return self._portal is None

    def run(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run ``await func(*args, **kwargs)`` on the engine's loop and return its result."""
        if self._portal is None:
            raise RuntimeError("the SyncEngine is closed")
        return self._portal.call(functools.partial(func, *args, **kwargs))

    def start_soon(self, func: Callable[[], Awaitable[Any]]) -> Future[Any]:
        """Start ``await func()`` on the engine's loop without waiting; cancel it through the
        future it returns."""
        if self._portal is None:
            raise RuntimeError("the SyncEngine is closed")
        return self._portal.start_task_soon(func)

    def call(
        self, messages: Sequence[Mapping[str, str]], *, feature: str | None = None, **kwargs: Any
    ) -> CallResult:
        """:meth:`llmops.Engine.call`, blocking; the same arguments, result and errors."""
        return self.run(self.engine.call, messages, feature=feature, **kwargs)

    def stream(
        self, messages: Sequence[Mapping[str, str]], *, feature: str | None = None, **kwargs: Any
    ) -> CallResult:
        """:meth:`llmops.Engine.stream`, blocking (``on_chunk`` runs in the loop's thread)."""
        return self.run(self.engine.stream, messages, feature=feature, **kwargs)

    def close(self) -> None:
        """Close the engine (stores, transport, events log) and stop the loop's thread."""
        if self._portal is None or self._portal_cm is None:
            return
        try:
            self._portal.call(self.engine.aclose)
        finally:
            cm, self._portal, self._portal_cm = self._portal_cm, None, None
            cm.__exit__(None, None, None)

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
