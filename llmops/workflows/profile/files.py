"""Reading many logs: files, globs, ``.gz``, ``-`` for stdin; large files split over processes.

A plain file of at least :data:`SPLIT_MIN_BYTES` is cut into byte ranges at line starts (about
:data:`RANGE_BYTES` each, at least one per worker) and the ranges are scanned by ``workers`` light
worker processes (:mod:`~llmops.workflows.profile.pool`); the partial tallies are merged and calls
whose halves landed in different ranges are joined afterwards. Gzip files (told by their
magic bytes) and stdin are read as one stream. Progress is reported as bytes read of the total.
"""

from __future__ import annotations

import gc
import glob
import itertools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from llmops.errors import InputError
from llmops.workflows.profile.calls import merge_into
from llmops.workflows.profile.damaged import TolerantGzip, mostly_binary
from llmops.workflows.profile.pool import scan_ranges
from llmops.workflows.profile.read import ScanOptions, ScanResult, _Scanner, scan_stream

__all__ = ["SPLIT_MIN_BYTES", "expand_paths", "scan_paths"]

#: files at least this large are split into byte ranges for the worker processes
SPLIT_MIN_BYTES = 8 << 20
#: the size of one range handed to a worker (smaller ranges balance uneven cores better)
RANGE_BYTES = 32 << 20
_GZIP_MAGIC = b"\x1f\x8b"

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


def expand_paths(specs: Sequence[str]) -> list[str]:
    """Expand globs; ``-`` stays as stdin. Raises :class:`InputError` for a spec matching nothing."""
    out: list[str] = []
    for spec in specs:
        if spec == "-":
            out.append(spec)
            continue
        matches = sorted(glob.glob(spec)) if glob.has_magic(spec) else [spec]
        existing = [m for m in matches if os.path.exists(m)]
        if not existing:
            raise InputError(f"{spec}: no such file")
        for path in existing:
            if os.path.isdir(path):
                raise InputError(f"{path}: is a directory; expected a JSON-lines file")
            out.append(path)
    return out


def _next_line_start(f: Any, pos: int) -> int:
    """Offset of the first line starting at or after ``pos`` (``pos`` itself if a line starts there)."""
    if pos == 0:
        return 0
    f.seek(pos - 1)
    while True:
        block = f.read(1 << 20)
        if not block:
            return f.tell()  # type: ignore[no-any-return]
        i = block.find(b"\n")
        if i >= 0:
            return f.tell() - len(block) + i + 1  # type: ignore[no-any-return]


def _ranges(path: str, size: int, parts: int) -> list[tuple[int, int]]:
    with open(path, "rb") as f:
        cuts = sorted({_next_line_start(f, size * k // parts) for k in range(parts)} | {size})
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _scan_one(
    path: str,
    options: ScanOptions,
    total: ScanResult,
    progress: Callable[[int], None],
    stop: StopFn = _never,
) -> None:
    source = "<stdin>" if path == "-" else path
    if path == "-":
        stdin = _Stoppable(sys.stdin.buffer, stop)
        scan_stream(stdin, source, options, result=total, on_bytes=progress)
        return
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
            f.seek(0)
            if not head:
                total.problems.add("empty file", source, 0)
                return
            if head[:2] == _GZIP_MAGIC:  # read up to a truncation or corrupt block
                gz = TolerantGzip(f)
                before = total.lines
                scan_stream(
                    _Stoppable(gz, stop), source, options, result=total, on_bytes=lambda _n: None
                )
                if gz.problem is not None:
                    total.problems.add(gz.problem, source, max(1, total.lines - before))
                progress(os.path.getsize(path))
                return
            if mostly_binary(f, os.path.getsize(path)):  # a garbage head alone is read
                total.problems.add("binary file", source, 0)
                progress(os.path.getsize(path))
                return
            scan_stream(_Stoppable(f, stop), source, options, result=total, on_bytes=progress)
    except OSError as exc:
        total.problems.add(f"cannot read ({exc.strerror or exc})", source, 0)


def _is_plain(path: str) -> bool:
    if path == "-":
        return False
    with open(path, "rb") as f:
        head = f.read(8192)
        return (
            bool(head) and head[:2] != _GZIP_MAGIC and not mostly_binary(f, os.path.getsize(path))
        )


def _finish_joins(result: ScanResult, options: ScanOptions) -> None:
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


def scan_paths(
    paths: Sequence[str],
    options: ScanOptions,
    *,
    workers: int | None = None,
    on_progress: ProgressFn | None = None,
    stop: StopFn = _never,
) -> ScanResult:
    """Scan every path (already expanded) into one result; ``workers`` defaults to the CPU count.

    Once ``stop()`` is true (Ctrl-C) reading ends at the next chunk: the result holds what was
    read so far.

    The cyclic garbage collector is paused meanwhile: the scan makes no reference cycles, and
    in a process holding the analysis libraries each collection walks their objects again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan_paths(paths, options, workers, on_progress, stop)
    finally:
        if collecting:
            gc.enable()


def _scan_paths(
    paths: Sequence[str],
    options: ScanOptions,
    workers: int | None,
    on_progress: ProgressFn | None,
    stop: StopFn = _never,
) -> ScanResult:
    sizes = {p: (os.path.getsize(p) if p != "-" else 0) for p in paths}
    grand_total = sum(sizes.values())
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, grand_total)

    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    big = [p for p in paths if sizes[p] >= SPLIT_MIN_BYTES and _is_plain(p)] if workers > 1 else []
    result = ScanResult()
    for path in paths:
        if path not in big and not stop():
            _scan_one(path, options, result, progress, stop)
    if big and not stop():
        _scan_parallel(big, sizes, options, workers, result, progress, stop)
    _finish_joins(result, options)
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
    offsets: dict[str, int] = {}
    for (path, _, _), part in zip(tasks, parts_done, strict=True):
        if part is None:  # not scanned: stopped before
            continue
        _merge(result, part, offsets.get(path, 0))
        offsets[path] = offsets.get(path, 0) + part.lines
