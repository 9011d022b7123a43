"""The per-line loop: bytes in, counters out, every unreadable line counted with its place.

A scan reads a byte stream in chunks, splits lines itself (so a 100 MB line, invalid UTF-8 or a
binary file never reaches the JSON parser whole or crashes it), reads each line with its format's
typed reader (:class:`~llmops.workflows.profile.formats.RecordReader`), measures each input with
:func:`~llmops.core.textprofile.measure_text`, joins partial calls on their key and counts
complete ones in a :class:`~llmops.workflows.profile.tally.Tally`. Memory stays flat: a chunk, at most
``max_line_bytes`` of one line, the counters and the calls still waiting for their other half.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from llmops.core.textprofile import measure_text
from llmops.language import detect_language
from llmops.workflows.profile.calls import Call, merge_into
from llmops.workflows.profile.formats import RecordReader, calls_counted
from llmops.workflows.profile.samples import Samples
from llmops.workflows.profile.tally import Tally

__all__ = [
    "CHUNK_BYTES",
    "MAX_EXAMPLES",
    "MAX_PENDING",
    "Problems",
    "ScanOptions",
    "ScanResult",
    "scan_stream",
]

#: bytes read at a time (each worker holds about three times this: the chunk, its lines)
CHUNK_BYTES = 1 << 20
#: problem locations kept per scan (the counts are always complete)
MAX_EXAMPLES = 10
#: calls waiting for their other half before the oldest is given up as unjoined
MAX_PENDING = 200_000
#: a JSON escape of a lone UTF-16 surrogate: text that is not valid Unicode
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class Readable(Protocol):
    """Anything with ``read(n) -> bytes``: a file, a gzip stream, stdin's buffer."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What to read and how: record reader, language detection, time window, line size cap."""

    reader: RecordReader = field(default_factory=RecordReader)
    detect_language: bool = True
    since: float | None = None
    until: float | None = None
    max_line_bytes: int = 32 << 20
    #: example inputs kept per segment bin and outcome (0: none; ``--export-cases``)
    samples: int = 0


@dataclass(slots=True)
class Problems:
    """Unreadable input, counted by kind, with the ``file:line`` of the first few."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, kind: str, source: str, line: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((source, line, kind))

    def merge(self, other: Problems, line_offset: int = 0) -> None:
        for kind, n in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        room = MAX_EXAMPLES - len(self.examples)
        self.examples.extend((s, line + line_offset, k) for s, line, k in other.examples[:room])

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class ScanResult:
    """Counters of one scan, with what could not be used and why."""

    tally: Tally = field(default_factory=Tally)
    problems: Problems = field(default_factory=Problems)
    skipped: dict[str, int] = field(default_factory=dict)
    pending: dict[str, Call] = field(default_factory=dict)
    lines: int = 0
    bytes_read: int = 0
    records: int = 0

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n


def _bad_line_kind(line: bytes, error: Exception) -> str:
    if b"\x00" in line[:4096]:
        return "binary data"
    if isinstance(error, UnicodeDecodeError) or "UTF-8" in str(error):
        return "invalid UTF-8"
    if _SURROGATE_ESCAPE.search(line) is not None:
        return "invalid UTF-8"
    head, tail = line.lstrip()[:1], line.rstrip()[-1:]
    if head in (b"{", b"[") and tail not in (b"}", b"]"):
        return "truncated JSON"
    return "not JSON"


_CHAT = frozenset({"openai", "anthropic"})
#: what reading a line that is not JSON raises (RecursionError: nested past msgspec's depth)
_BAD_LINE = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError)


class _Scanner:
    def __init__(self, options: ScanOptions, source: str, result: ScanResult) -> None:
        self.options = options
        self.source = source
        self.result = result
        self.tally = result.tally
        self.formats = result.tally.formats
        self.read_record = options.reader.read
        self.language = detect_language if options.detect_language else None
        self.window = options.since is not None or options.until is not None
        self.chat = False  # whether the last record read was a chat record
        if options.samples and result.tally.samples is None:
            result.tally.samples = Samples(options.samples)

    def block(self, buf: bytes, start: int, end: int, lineno: int) -> int:
        """Read the whole lines of ``buf[start:end]`` (it ends after a newline); return the
        number of the last line read."""
        read = self.read
        for raw in buf[start : end - 1].split(b"\n") if end > start else ():
            lineno += 1
            read(raw, lineno)
        return lineno

    def read(self, raw: bytes, lineno: int) -> None:
        """Read one whole line, or report it when it is longer than ``max_line_bytes``."""
        if len(raw) > self.options.max_line_bytes:
            self.result.problems.add("line too long", self.source, lineno)
        else:
            self.line(raw, lineno)

    def line(self, raw: bytes, lineno: int) -> None:
        result = self.result
        try:
            if not raw.isascii():
                raw.decode()  # the typed readers do not check the strings they skip
            fmt, calls = self.read_record(raw, self.chat)
        except _BAD_LINE as exc:
            if raw.strip():
                result.problems.add(_bad_line_kind(raw, exc), self.source, lineno)
            else:
                result.skip("blank line")
            return
        result.records += 1
        self.chat = fmt in _CHAT
        formats = self.formats
        formats[fmt] = formats.get(fmt, 0) + calls_counted(fmt, calls)
        if not calls:
            result.skip(f"no LLM call in record ({fmt})")
        for call in calls:
            if call.join_key is not None:
                self.join(call)
            else:
                self.count(call)

    def join(self, part: Call) -> None:
        pending = self.result.pending
        key = part.join_key or ""
        base = pending.get(key)
        if base is None:
            if len(pending) >= MAX_PENDING:
                pending.pop(next(iter(pending)))
                self.result.skip("unjoined (no matching input or outcome)")
            pending[key] = part
            return
        merge_into(base, part)
        if base.complete:
            del pending[key]
            self.count(base)

    def count(self, call: Call) -> None:
        if call.outcome is None or (call.text is None and call.profile is None):
            self.result.skip("no input text" if call.outcome else "no outcome")
            return
        if self.window:
            since, until = self.options.since, self.options.until
            if (
                call.time is None
                or (since is not None and call.time < since)
                or (until is not None and call.time >= until)
            ):
                self.result.skip("outside --since/--until")
                return
        if call.profile is None:
            key = self.tally.add_measured(measure_text(call.text or "", self.language), call)
            if self.tally.samples is not None and call.text:
                self.tally.samples.add(call.text, key, call.outcome != "ok")
        else:
            self.tally.add(call.profile, call)


def scan_stream(
    stream: Readable,
    source: str,
    options: ScanOptions,
    *,
    limit: int | None = None,
    result: ScanResult | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scan ``stream`` (at most ``limit`` bytes) into ``result`` (a new one by default).

    Line numbers in problems count from 1 at the stream's start; the caller offsets them when the
    stream is a later byte range of a file.
    """
    result = result if result is not None else ScanResult()
    scanner = _Scanner(options, source, result)
    max_line = options.max_line_bytes
    carry = b""
    skipping = False  # inside a line longer than max_line_bytes
    lineno = 0
    remaining = limit
    while remaining is None or remaining > 0:
        chunk = stream.read(CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining))
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)
        result.bytes_read += len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
        start = 0
        if skipping:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            skipping = False
            lineno += 1
            result.problems.add("line too long", source, lineno)
            start = newline + 1
        last = chunk.rfind(b"\n", start)
        if last < 0:  # no line ends in this chunk
            carry += chunk[start:]
        else:
            if carry:  # the line begun in an earlier chunk ends here
                newline = chunk.find(b"\n", start)
                lineno += 1
                scanner.read(carry + chunk[start:newline], lineno)
                carry = b""
                start = newline + 1
            lineno = scanner.block(chunk, start, last + 1, lineno)
            carry = chunk[last + 1 :]
        if len(carry) > max_line:
            carry, skipping = b"", True
    if skipping:
        lineno += 1
        result.problems.add("line too long", source, lineno)
    elif carry:
        lineno += 1
        scanner.line(carry, lineno)
    result.lines += lineno
    return result
