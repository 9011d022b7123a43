"""Ctrl-C to ``llmops mock serve`` (a real subprocess): a clean stop, exit 130, port freed."""

from __future__ import annotations

import re
import socket
import urllib.request
from pathlib import Path

import pytest

from .sigint_helpers import interrupt_when

pytestmark = pytest.mark.loopback


def test_sigint_stops_the_mock_cleanly_with_130(tmp_path: Path) -> None:
    served: list[int] = []

    def probe_then_ready(line: str) -> None:
        url = re.search(r"listening on (http://\S+)", line)
        if url:  # it answers before it is stopped
            with urllib.request.urlopen(f"{url.group(1)}/_mock/stats", timeout=10) as resp:
                served.append(resp.status)

    ended = interrupt_when(
        ["mock", "serve", "--port", "0", "--profile", "instant"],
        tmp_path,
        r"listening on http://",
        before_signal=probe_then_ready,
    )
    assert served == [200]
    assert ended.code == 130, ended.stderr
    assert "stopped, every connection closed" in ended.stderr
    assert "Traceback" not in ended.stderr
    port = int(re.search(r"127\.0\.0\.1:(\d+)", ended.stderr).group(1))  # type: ignore[union-attr]
    with socket.socket() as s:  # nothing listens there any more (TIME_WAIT allowed)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
