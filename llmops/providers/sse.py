"""An incremental Server-Sent Events parser: bytes in, events out.

Sans-I/O and pure: feed it raw body chunks as they arrive (split anywhere, even inside a
line or a CRLF pair) and it returns the complete events so far. It follows the WHATWG
``text/event-stream`` rules: lines end in CRLF, LF or CR; a line starting with ``:`` is a
comment; ``data`` lines of one event are joined with ``\\n``; a blank line dispatches; an
event whose data buffer is empty is not dispatched; a leading UTF-8 BOM is skipped.

One deliberate leniency: :meth:`SSEParser.close` dispatches an event whose fields were
read but whose closing blank line never came, so a server that ends its stream right after
``data: [DONE]\\n`` is still understood.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_EVENT_BYTES", "SSEEvent", "SSEParser", "SSETooLarge"]

_BOM = b"\xef\xbb\xbf"
#: the most one event (its pending line and data lines) may hold: a stream that never ends a
#: line or an event is refused at this size instead of filling memory until its deadline
MAX_EVENT_BYTES = 8 << 20


class SSETooLarge(ValueError):
    """An event (or a line) grew past the parser's bound without ending."""


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event. ``event`` is ``"message"`` when the stream named none."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Turns a byte stream into :class:`SSEEvent` values, chunk by chunk."""

    __slots__ = (
        "_buf",
        "_data",
        "_event",
        "_has_fields",
        "_id",
        "_pending",
        "_retry",
        "_skip_lf",
        "_started",
        "_tail",
        "_tail_len",
        "max_event_bytes",
    )

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        #: an event or line past this many bytes raises :class:`SSETooLarge`
        self.max_event_bytes = max_event_bytes
        self._pending = 0  # bytes of data lines in the event being read
        self._buf = b""
        # chunks of a line still open, kept apart (joined once its end comes): a long line
        # arriving in small chunks costs linear time, not quadratic
        self._tail: list[bytes] = []
        self._tail_len = 0
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._has_fields = False
        self._skip_lf = False
        self._started = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume ``chunk`` and return the events it completed (possibly none).

        Raises :class:`SSETooLarge` when a line or an event outgrows ``max_event_bytes``.
        """
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._started and b"\n" not in chunk and b"\r" not in chunk:
            self._tail.append(chunk)
            self._tail_len += len(chunk)
            if len(self._buf) + self._tail_len > self.max_event_bytes:
                raise SSETooLarge(f"an event stream line grew past {self.max_event_bytes:,} bytes")
            return []
        if self._tail:
            chunk = b"".join(self._tail) + chunk
            self._tail, self._tail_len = [], 0
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self._buf = buf
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[len(_BOM) :]
        lines = buf.splitlines(keepends=True)
        if lines and lines[-1][-1:] not in (b"\n", b"\r"):
            self._buf = lines.pop()
        else:
            self._buf = b""
            if buf[-1:] == b"\r":
                # a CR at the very end may be the first half of a CRLF split across chunks
                self._skip_lf = True
        if len(self._buf) > self.max_event_bytes:
            raise SSETooLarge(f"an event stream line grew past {self.max_event_bytes:,} bytes")
        events: list[SSEEvent] = []
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if line:
                self._field(line)
            else:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: return the pending event, if its fields were read (see module doc)."""
        if self._tail:
            self._buf += b"".join(self._tail)
            self._tail, self._tail_len = [], 0
        if self._buf:
            line, self._buf = self._buf, b""
            self._field(line)
        event = self._dispatch()
        return [] if event is None else [event]

    def _field(self, line: bytes) -> None:
        if line[:1] == b":":
            return
        name_b, sep, value_b = line.partition(b":")
        if sep and value_b[:1] == b" ":
            value_b = value_b[1:]
        name = name_b.decode("utf-8", "replace")
        value = value_b.decode("utf-8", "replace")
        if name == "data":
            self._pending += len(value_b)
            if self._pending > self.max_event_bytes:
                raise SSETooLarge(f"an event grew past {self.max_event_bytes:,} bytes")
            self._data.append(value)
            self._has_fields = True
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> SSEEvent | None:
        if not self._has_fields:
            self._event = ""
            return None
        event = SSEEvent(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self._id,
            retry=self._retry,
        )
        self._data = []
        self._pending = 0
        self._event = ""
        self._has_fields = False
        return event
