"""Run a real ``llmops`` subprocess, wait for a line saying it is under way, send SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: only a hang gets here
BOUND_S = 60.0


@dataclass
class Ended:
    code: int
    stdout: str
    stderr: str


def interrupt_when(
    args: list[str],
    cwd: Path,
    marker: str,
    *,
    on: str = "stderr",
    before_signal: Callable[[str], None] | None = None,
) -> Ended:
    """Start ``llmops ARGS`` in ``cwd``; once a line of ``on`` (stdout or stderr) matches
    ``marker``, call ``before_signal(line)`` if given, then send SIGINT; return how it ended."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmops", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
    seen = threading.Event()

    def pump(name: str) -> None:
        stream = getattr(proc, name)
        for line in stream:
            lines[name].append(line)
            if name == on and not seen.is_set() and re.search(marker, line):
                seen.set()
                if before_signal is not None:
                    before_signal(line)
                proc.send_signal(signal.SIGINT)

    pumps = [threading.Thread(target=pump, args=(n,), daemon=True) for n in lines]
    for t in pumps:
        t.start()
    try:
        proc.wait(timeout=BOUND_S)
    finally:
        proc.kill()
        for t in pumps:
            t.join(timeout=5)
    assert seen.is_set(), f"never saw {marker!r}: {''.join(lines[on])[-2000:]}"
    return Ended(proc.returncode, "".join(lines["stdout"]), "".join(lines["stderr"]))
