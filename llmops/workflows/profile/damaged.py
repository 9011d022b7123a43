"""Damaged log files: how much of a file is text, and a gzip reader that keeps what it could
decompress before a truncation or a corrupt block.

A log whose first kilobytes are garbage (a crash, a bad copy, a binary header) is still mostly
text: it is read, and its bad lines are counted and located like any other. Only a file that
is *mostly* not text, judged on samples spread over the whole file, is refused as binary.
A gzip file cut short (a log rotated while being copied) yields everything before the cut.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

__all__ = [
    "BINARY_FRACTION",
    "SAMPLES",
    "SAMPLE_BYTES",
    "TolerantGzip",
    "binary_fraction",
    "mostly_binary",
]

#: bytes read to judge a file, in :data:`SAMPLES` pieces spread evenly from start to end
SAMPLE_BYTES = 64 * 1024
SAMPLES = 16
#: a file with more than this fraction of binary bytes in its samples is refused
BINARY_FRACTION = 0.3
#: control characters that do not occur in text (tab, newline, carriage return, form feed and
#: escape do)
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


def binary_fraction(sample: bytes) -> float:
    """The fraction of ``sample`` that is not text: control bytes and bytes that are not UTF-8."""
    if not sample:
        return 0.0
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    undecodable = sample.decode("utf-8", "replace").count("\ufffd")
    return min(1.0, (controls + undecodable) / len(sample))


def mostly_binary(f: BinaryIO, size: int) -> bool:
    """Whether the file ``f`` (``size`` bytes) is mostly not text, judged on :data:`SAMPLES`
    samples spread evenly over it (a small file is read whole); ``f`` is left at its start."""
    piece = SAMPLE_BYTES // SAMPLES
    if size <= SAMPLE_BYTES:
        offsets = [0]
        piece = SAMPLE_BYTES
    else:
        offsets = [(size - piece) * i // (SAMPLES - 1) for i in range(SAMPLES)]
    sample = bytearray()
    for offset in offsets:
        f.seek(offset)
        sample += f.read(piece)
    f.seek(0)
    return binary_fraction(bytes(sample)) > BINARY_FRACTION


class TolerantGzip:
    """``read(n)`` over a gzip stream (several members allowed) that ends quietly at a truncation
    or a corrupt block, keeping what came before; ``problem`` then says what happened.

    Output is produced at most 1 MiB per step, so a gzip bomb does not fill memory.
    """

    _IN = 64 * 1024
    _OUT = 1 << 20

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(wbits=31)
        self._started = False  # the current member has consumed input
        self._buf = bytearray()
        self._done = False
        #: why reading stopped early (truncated or corrupt), or None
        self.problem: str | None = None

    def read(self, n: int = -1, /) -> bytes:
        """Up to ``n`` decompressed bytes (all that is left with ``n < 0``); ``b""`` at the end."""
        while not self._done and (n < 0 or len(self._buf) < n):
            self._step()
        size = len(self._buf) if n < 0 else min(n, len(self._buf))
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out

    def _next_input(self) -> bytes:
        if self._d.unconsumed_tail:
            return self._d.unconsumed_tail
        if self._d.eof:  # a member ended: what follows starts the next one
            rest = self._d.unused_data or self._raw.read(self._IN)
            if rest:
                self._d, self._started = zlib.decompressobj(wbits=31), False
            return rest
        return self._raw.read(self._IN)

    def _step(self) -> None:
        data = self._next_input()
        if not data:
            if self._started and not self._d.eof:
                self.problem = "truncated gzip: the file ends inside the compressed data"
            self._done = True
            return
        try:
            self._buf += self._d.decompress(data, self._OUT)
        except zlib.error as exc:
            self.problem = f"corrupt gzip data ({exc})"
            self._done = True
            return
        self._started = True
