"""What of one call's streamed answer has reached its caller.

A stream hands its output over as it arrives: content chunks to ``on_chunk`` (the engine's
callers), and for a ``wire_body`` stream the provider's raw SSE bytes to ``on_bytes`` (the SDK
drop-in, which passes them on to the SDK). Once anything has been handed over, the call is
neither retried nor sent to another route: the caller would see the answer twice. The moment of
the first hand-over is the call's time to first token as its caller saw it (queue, limiter and
earlier attempts included).
"""

from __future__ import annotations

from collections.abc import Callable

from llmops.engine.clock import Clock

__all__ = ["ByteCallback", "ChunkCallback", "Delivery"]

#: called with each content chunk's text and its arrival time (seconds since the attempt's send)
ChunkCallback = Callable[[str, float], None]
#: called with raw body bytes, passed on as they arrive
ByteCallback = Callable[[bytes], None]


class Delivery:
    """One call's hand-over of streamed output to ``on_chunk`` and ``on_bytes`` (either may be
    ``None``); :attr:`first_at` is when the first of it went (on ``clock``), ``None`` before."""

    __slots__ = ("_clock", "_on_bytes", "_on_chunk", "first_at")

    def __init__(
        self,
        clock: Clock,
        on_chunk: ChunkCallback | None = None,
        on_bytes: ByteCallback | None = None,
    ) -> None:
        self._clock = clock
        self._on_chunk = on_chunk
        self._on_bytes = on_bytes
        self.first_at: float | None = None

    @property
    def delivered(self) -> bool:
        """Whether the caller has seen any output (no retry, no other route after that)."""
        return self.first_at is not None

    @property
    def chunk_callback(self) -> ChunkCallback | None:
        """What a provider calls with each content chunk (``None`` when nobody listens)."""
        return self._chunk if self._on_chunk is not None else None

    @property
    def byte_callback(self) -> ByteCallback | None:
        """What a provider calls with raw body bytes (``None`` when nobody listens)."""
        return self._bytes if self._on_bytes is not None else None

    def ttft_s(self, start: float) -> float | None:
        """Seconds from ``start`` (the call's) to the first hand-over; ``None`` if none was."""
        return None if self.first_at is None else self.first_at - start

    def _mark(self) -> None:
        if self.first_at is None:
            self.first_at = self._clock.now()

    def _chunk(self, text: str, at: float) -> None:
        self._mark()
        assert self._on_chunk is not None
        self._on_chunk(text, at)

    def _bytes(self, data: bytes) -> None:
        self._mark()
        assert self._on_bytes is not None
        self._on_bytes(data)
