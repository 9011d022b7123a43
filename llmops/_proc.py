"""Child processes: stopping one for sure."""

from __future__ import annotations

import subprocess
from typing import Any

__all__ = ["wait_or_kill"]


def wait_or_kill(proc: subprocess.Popen[Any], timeout_s: float = 5.0) -> None:
    """Wait up to ``timeout_s`` for ``proc`` to exit; then kill it. It is reaped either way."""
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
