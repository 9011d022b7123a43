"""A hostile upstream on a free loopback port: it accepts and then misbehaves on purpose.

Each connection reads the request and then does one of :data:`BEHAVIOURS`. The server runs in
a thread of its own (so it misbehaves even while the client's event loop is busy), every
connection gives up after ``lifetime_s`` and the server stops when its ``with`` block ends:
nothing it starts outlives the test.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

BEHAVIOURS = (
    "never_answers",  # accepts, reads the request, says nothing
    "trickles",  # a valid head, then one body byte at a time, never finishing in time
    "resets_mid_body",  # a valid head, part of the body, then a TCP reset
    "malformed_sse",  # a 200 event stream whose events are not JSON
    "stalls_mid_stream",  # a 200 with one good chunk, then silence
    "invalid_json",  # a 200 application/json whose body is not JSON
    "endless_line",  # a 200 event stream whose first line never ends (bytes as fast as it can)
    "declares_huge",  # a 200 whose content-length says 10 GB
)

_OPENAI_CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"partial"}}]}\n\n'
_ANTHROPIC_CHUNK = (
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"partial"}}\n\n'
)


def _head(content_type: str, length: int | None = None) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"content-type: {content_type}"]
    lines.append(f"content-length: {length}" if length is not None else "connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class HostileServer:
    """Serves one behaviour (see :data:`BEHAVIOURS`); ``wire`` picks the good chunk's format."""

    def __init__(self, behaviour: str, *, wire: str = "openai", lifetime_s: float = 10.0) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(behaviour)
        self.behaviour = behaviour
        self.chunk = _ANTHROPIC_CHUNK if wire == "anthropic" else _OPENAI_CHUNK
        self.lifetime_s = lifetime_s
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port = int(self._sock.getsockname()[1])
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _wait(self, seconds: float) -> bool:
        """Wait on the stop flag; True when the server is stopping."""
        return self._stop.wait(seconds)

    def _handle(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + self.lifetime_s
        try:
            conn.settimeout(self.lifetime_s)
            _read_request(conn)
            getattr(self, f"_{self.behaviour}")(conn, deadline)
        except OSError:
            pass
        finally:
            conn.close()

    def _never_answers(self, conn: socket.socket, deadline: float) -> None:
        while time.monotonic() < deadline and not self._wait(0.05):
            pass

    def _trickles(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("application/json", 100_000))
        while time.monotonic() < deadline and not self._wait(0.02):
            conn.sendall(b" ")

    def _resets_mid_body(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("text/event-stream", 100_000) + self.chunk)
        self._wait(0.05)
        # SO_LINGER with a zero timeout: close() sends a RST instead of a FIN
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _malformed_sse(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("text/event-stream") + b"data: {not json at all\n\n")
        self._never_answers(conn, deadline)

    def _stalls_mid_stream(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("text/event-stream") + self.chunk)
        self._never_answers(conn, deadline)

    def _invalid_json(self, conn: socket.socket, deadline: float) -> None:
        body = b'{"choices": [{"message": {"content": "cut'
        while True:  # keep-alive: the same answer to every request on this connection
            conn.sendall(_head("application/json", len(body)) + body)
            if not _read_request(conn):
                return

    def _endless_line(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("text/event-stream") + b"data: ")
        block = b"x" * 65536
        while time.monotonic() < deadline and not self._stop.is_set():
            conn.sendall(block)

    def _declares_huge(self, conn: socket.socket, deadline: float) -> None:
        conn.sendall(_head("application/json", 10 << 30) + b'{"choices": [')
        self._never_answers(conn, deadline)

    def __enter__(self) -> HostileServer:
        t = threading.Thread(target=self._serve, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in list(self._threads):
            t.join(timeout=5)
        self._sock.close()


def _read_request(conn: socket.socket) -> bool:
    """Read one request's head and its content-length body; False if the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        got = conn.recv(65536)
        if not got:
            return False
        data += got
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        got = conn.recv(65536)
        if not got:
            return False
        body += got
    return True


@contextmanager
def hostile(
    behaviour: str, *, wire: str = "openai", lifetime_s: float = 10.0
) -> Iterator[HostileServer]:
    """``with hostile("never_answers") as server: ... server.url ...``"""
    with HostileServer(behaviour, wire=wire, lifetime_s=lifetime_s) as server:
        yield server
