"""Reading many logs: files, globs, URLs, ``.gz``, ``-`` for stdin; large files split over processes.

A plain file of at least :data:`SPLIT_MIN_BYTES` is cut into byte ranges at line starts (about
:data:`RANGE_BYTES` each, at least one per worker) and the ranges are scanned by ``workers`` light
worker processes (:mod:`~llmops.workflows.profile.pool`); the partial tallies are merged and calls
whose halves landed in different ranges are joined afterwards. Gzip files (told by their
magic bytes), URLs (read through fsspec, :mod:`~llmops.workflows.profile.sources`) and stdin
are read as one stream. Progress is reported as bytes read of the total.

The same pieces serve a Dask cluster (:mod:`~llmops.workflows.profile.cluster`): a task scans
one file or one byte range with :func:`scan_part`, and the parts are merged in order with
:class:`OrderedMerge` and :func:`finish_joins`, as the local worker processes' parts are.
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from llmops.workflows.profile.calls import merge_into
from llmops.workflows.profile.damaged import TolerantGzip, mostly_binary
from llmops.workflows.profile.pool import scan_ranges
from llmops.workflows.profile.read import ScanOptions, ScanResult, _Scanner, scan_stream
from llmops.workflows.profile.sources import (
    expand_source,
    is_url,
    open_source,
    shown,
    source_size,
)

__all__ = [
    "RANGE_BYTES",
    "SPLIT_MIN_BYTES",
    "OrderedMerge",
    "expand_paths",
    "expand_sources",
    "finish_joins",
    "is_plain",
    "merge_parts",
    "scan_part",
    "scan_paths",
]

#: files at least this large are split into byte ranges for the worker processes
SPLIT_MIN_BYTES = 8 << 20
#: the size of one range handed to a worker (smaller ranges balance uneven cores better)
RANGE_BYTES = 32 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: bytes read at a time looking for a line start at a range's cut
_CUT_BLOCK = 64 << 10

ProgressFn = Callable[[int, int], None]
#: says whether to stop reading (Ctrl-C): what was read so far is the result
StopFn = Callable[[], bool]


class _Stoppable:
    """A readable that ends (reads ``b""``) once ``stop()`` says so: the scan then finishes
    cleanly at a chunk boundary with what it has read."""

    __slots__ = ("_inner", "_stop")

    def __init__(self, inner: Any, stop: StopFn) -> None:
        self._inner = inner
        self._stop = stop

    def read(self, size: int = -1) -> bytes:
        return b"" if self._stop() else bytes(self._inner.read(size))


def _never() -> bool:
    return False


def expand_sources(specs: Sequence[str]) -> dict[str, int]:
    """Expand globs (local or URL) into the files they name, in order, with their sizes; ``-``
    stays as stdin (size 0). Raises :class:`InputError` for a spec matching nothing."""
    out: dict[str, int] = {}
    for spec in specs:
        if spec == "-":
            out[spec] = 0
            continue
        for path, size in expand_source(spec):
            out.setdefault(path, size)
    return out


def expand_paths(specs: Sequence[str]) -> list[str]:
    """Expand globs; ``-`` stays as stdin. Raises :class:`InputError` for a spec matching nothing."""
    return list(expand_sources(specs))


def _next_line_start(f: Any, pos: int, block_bytes: int = 1 << 20) -> int:
    """Offset of the first line starting at or after ``pos`` (``pos`` itself if a line starts there)."""
    if pos == 0:
        return 0
    f.seek(pos - 1)
    while True:
        block = f.read(block_bytes)
        if not block:
            return f.tell()  # type: ignore[no-any-return]
        i = block.find(b"\n")
        if i >= 0:
            return f.tell() - len(block) + i + 1  # type: ignore[no-any-return]


def _ranges(path: str, size: int, parts: int) -> list[tuple[int, int]]:
    with open_source(path, probe=True) as f:
        cuts = sorted({_next_line_start(f, size * k // parts) for k in range(parts)} | {size})
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _kind(path: str, size: int) -> str:
    """``"empty"``, ``"gzip"``, ``"binary"`` or ``"plain"``, from a few small reads."""
    with open_source(path, probe=True) as f:
        head = f.read(8192)
        if not head:
            return "empty"
        if head[:2] == _GZIP_MAGIC:
            return "gzip"
        return "binary" if mostly_binary(f, size) else "plain"  # a garbage head alone is read


def _scan_one(
    path: str,
    options: ScanOptions,
    total: ScanResult,
    progress: Callable[[int], None],
    stop: StopFn = _never,
    size: int | None = None,
) -> None:
    source = "<stdin>" if path == "-" else shown(path)
    if path == "-":
        stdin = _Stoppable(sys.stdin.buffer, stop)
        scan_stream(stdin, source, options, result=total, on_bytes=progress)
        return
    try:
        size = source_size(path) if size is None else size
        kind = _kind(path, size)
        if kind == "empty":
            total.problems.add("empty file", source, 0)
            return
        if kind == "binary":
            total.problems.add("binary file", source, 0)
            progress(size)
            return
        with open_source(path) as f:
            if kind == "gzip":  # read up to a truncation or corrupt block
                gz = TolerantGzip(f)
                before = total.lines
                scan_stream(
                    _Stoppable(gz, stop), source, options, result=total, on_bytes=lambda _n: None
                )
                if gz.problem is not None:
                    total.problems.add(gz.problem, source, max(1, total.lines - before))
                progress(size)
                return
            scan_stream(_Stoppable(f, stop), source, options, result=total, on_bytes=progress)
    except OSError as exc:
        total.problems.add(f"cannot read ({exc.strerror or exc})", source, 0)


def is_plain(path: str, size: int) -> bool:
    """Whether ``path`` is a plain (not gzip, not binary, not empty) file: one to split."""
    return path != "-" and _kind(path, size) == "plain"


def scan_part(
    path: str, start: int, end: int | None, size: int, options: ScanOptions
) -> ScanResult:
    """Scan one file whole (``end`` is ``None``), or the lines of a plain file that start in
    its byte range ``[start, end)``: the cuts are moved to line starts here, as
    :func:`scan_paths` moves them, so neighbouring parts share no line and miss none.

    Line numbers count from the part's first line; :func:`merge_parts` offsets them.
    """
    result = ScanResult()
    if end is None:
        _scan_one(path, options, result, lambda _n: None, size=size)
        return result
    try:
        # the cuts with small exact reads (a remote file's read-ahead would fetch megabytes
        # past the range's end), then the range read ahead from its first line
        with open_source(path, probe=True) as f:
            first = _next_line_start(f, start, _CUT_BLOCK)
            stop_at = size if end >= size else _next_line_start(f, end, _CUT_BLOCK)
        if stop_at > first:
            with open_source(path) as f:
                f.seek(first)
                scan_stream(f, shown(path), options, limit=stop_at - first, result=result)
    except OSError as exc:
        result.problems.add(f"cannot read ({exc.strerror or exc})", shown(path), 0)
    return result


def finish_joins(result: ScanResult, options: ScanOptions) -> None:
    """Count calls completed across range boundaries; the rest are unjoined."""
    scanner = _Scanner(options, "", result)
    for call in result.pending.values():
        if call.complete:
            scanner.count(call)
        else:
            result.skip("unjoined (no matching input or outcome)")
    result.pending.clear()


def _merge(into: ScanResult, part: ScanResult, line_offset: int) -> None:
    into.tally.merge(part.tally)
    into.problems.merge(part.problems, line_offset)
    for reason, n in part.skipped.items():
        into.skip(reason, n)
    for key, call in part.pending.items():
        if key in into.pending:
            merge_into(into.pending[key], call)
        else:
            into.pending[key] = call
    into.lines += part.lines
    into.bytes_read += part.bytes_read
    into.records += part.records


class OrderedMerge:
    """Merges the parts of a scan into ``into`` as they come, in file and byte order, offsetting
    line numbers within each file; a part finished early waits for the ones before it.

    The caller then counts the calls whose halves were in different parts with
    :func:`finish_joins`.
    """

    def __init__(self, into: ScanResult, paths: Sequence[str]) -> None:
        self.into = into
        self._paths = paths  # the path of each part, in order
        self._next = 0
        self._waiting: dict[int, ScanResult | None] = {}
        self._offsets: dict[str, int] = {}

    def add(self, index: int, part: ScanResult | None) -> None:
        """Part ``index`` is done (``None``: not scanned, stopped before)."""
        self._waiting[index] = part
        while self._next in self._waiting:
            self._merge(self._next, self._waiting.pop(self._next))
            self._next += 1

    def finish(self) -> None:
        """Merge the parts still waiting (stopped: those before them never came)."""
        for index in sorted(self._waiting):
            self._merge(index, self._waiting.pop(index))

    def _merge(self, index: int, part: ScanResult | None) -> None:
        if part is None:
            return
        path = self._paths[index]
        _merge(self.into, part, self._offsets.get(path, 0))
        self._offsets[path] = self._offsets.get(path, 0) + part.lines


def merge_parts(into: ScanResult, parts: Iterable[tuple[str, ScanResult | None]]) -> None:
    """Merge the parts of a scan, each ``(path, result)`` in file and byte order (``None``: a
    part not scanned, stopped before), with :class:`OrderedMerge`."""
    listed = list(parts)
    merge = OrderedMerge(into, [path for path, _ in listed])
    for index, (_, part) in enumerate(listed):
        merge.add(index, part)


def scan_paths(
    paths: Sequence[str],
    options: ScanOptions,
    *,
    workers: int | None = None,
    on_progress: ProgressFn | None = None,
    stop: StopFn = _never,
    sizes: Mapping[str, int] | None = None,
    on_files: ProgressFn | None = None,
) -> ScanResult:
    """Scan every path (already expanded) into one result; ``workers`` defaults to the CPU count.
    ``sizes`` are the files' sizes when known (:func:`expand_sources`), else they are looked up.
    ``on_progress(bytes_done, bytes_total)`` is called as chunks are read, ``on_files(done,
    total)`` at the start and as files finish (the large files read in parallel ranges finish
    together).

    Once ``stop()`` is true (Ctrl-C) reading ends at the next chunk: the result holds what was
    read so far.

    The cyclic garbage collector is paused meanwhile: the scan makes no reference cycles, and
    in a process holding the analysis libraries each collection walks their objects again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        known = sizes or {}
        every = {p: known[p] if p in known else source_size(p) if p != "-" else 0 for p in paths}
        return _scan_paths(paths, options, workers, on_progress, stop, every, on_files)
    finally:
        if collecting:
            gc.enable()


def _scan_paths(
    paths: Sequence[str],
    options: ScanOptions,
    workers: int | None,
    on_progress: ProgressFn | None,
    stop: StopFn,
    sizes: dict[str, int],
    on_files: ProgressFn | None = None,
) -> ScanResult:
    grand_total = sum(sizes.values())
    done = 0
    files_done = 0

    def file_done(n: int) -> None:
        nonlocal files_done
        files_done += n
        if on_files is not None:
            on_files(files_done, len(paths))

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, grand_total)

    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    # the worker processes open local files only: a URL is read here, as one stream
    big = [
        p
        for p in paths
        if workers > 1 and sizes[p] >= SPLIT_MIN_BYTES and not is_url(p) and is_plain(p, sizes[p])
    ]
    result = ScanResult()
    file_done(0)
    for path in paths:
        if path not in big and not stop():
            _scan_one(path, options, result, progress, stop, sizes[path])
            if not stop():  # read to its end
                file_done(1)
    if big and not stop():
        _scan_parallel(big, sizes, options, workers, result, progress, stop)
        if not stop():
            file_done(len(big))
    finish_joins(result, options)
    return result


def _scan_parallel(
    big: list[str],
    sizes: dict[str, int],
    options: ScanOptions,
    workers: int,
    result: ScanResult,
    progress: Callable[[int], None],
    stop: StopFn = _never,
) -> None:
    tasks: list[tuple[str, int, int]] = []
    for path in big:
        parts = max(workers, -(-sizes[path] // RANGE_BYTES))
        tasks += [(path, a, b) for a, b in _ranges(path, sizes[path], parts)]
    parts_done = scan_ranges(tasks, options, workers, progress, stop)
    merge_parts(
        result, ((path, part) for (path, _, _), part in zip(tasks, parts_done, strict=True))
    )
