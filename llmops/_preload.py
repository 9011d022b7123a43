"""Import a slow module in the background while the caller does other work.

``llmops profile`` needs :mod:`scipy.stats` (most of a second to import) only for its analysis,
after the logs are read: :func:`preload` starts that import in a daemon thread while the worker
processes scan. A later ``import`` of the module in any thread waits for the one under way
(Python's per-module import lock) instead of importing alongside it.

This lives outside :mod:`llmops.stats`, which neither starts threads nor touches files.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

__all__ = ["preload"]

#: the threads started, by module name (once is enough)
_started: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def _import(name: str) -> None:
    # a failed import is raised again, in the caller's thread, by the caller's own import
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def preload(name: str) -> threading.Thread | None:
    """Start importing module ``name`` in a daemon thread; return at once.

    Returns the thread, or None when the module is already imported. Later calls for the same
    module return the same thread and start nothing.
    """
    with _lock:
        thread = _started.get(name)
        if thread is not None:
            return thread
        if name in sys.modules:
            return None
        thread = threading.Thread(
            target=_import, args=(name,), name=f"llmops-import-{name}", daemon=True
        )
        _started[name] = thread
        thread.start()
        return thread
