"""Profiling on a Dask cluster: one task per file or per byte range of a large plain file.

:func:`scan_on_dask` plans the tasks (a gzip file is one task: it cannot be split; a plain file
of at least :data:`~llmops.workflows.profile.files.SPLIT_MIN_BYTES` is cut into ranges of about
:data:`~llmops.workflows.profile.files.RANGE_BYTES`), runs
:func:`~llmops.workflows.profile.files.scan_part` on the workers, and merges the parts on the
client in file and byte order, as they come, with the same
:class:`~llmops.workflows.profile.files.OrderedMerge` the local worker processes' parts go
through. Every counter of a part merges exactly and the bottom-k samples take a priority from
the input itself, so the result is the single-process result on the same input.

Workers open the files themselves (:mod:`~llmops.workflows.profile.sources`): URLs
(``s3://``, ``gs://``, ``az://``) with the backend installed on the workers, or paths every
worker sees. ``local`` starts a :class:`distributed.LocalCluster` (a process per core) and
closes it at the end; any other address is a running scheduler's.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import importlib
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from llmops.errors import InputError
from llmops.redact import redact_urls
from llmops.sigint import sigint_ignored
from llmops.workflows.profile import files
from llmops.workflows.profile.read import ScanOptions, ScanResult

__all__ = ["LOCAL", "plan", "scan_on_dask"]

#: the ``--dask`` value that starts a local cluster
LOCAL = "local"
#: ``(path, start, end, size)``: ``end`` ``None`` reads the file whole
Task = tuple[str, int, int | None, int]
#: how often the client looks at Ctrl-C while it waits for tasks, seconds
_POLL_S = 0.25
_INSTALL = "pip install 'llmops-toolkit[dask]'"


def _never() -> bool:
    return False


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(f"--dask: Dask is not installed: {_INSTALL}") from None
    return distributed


def plan(sizes: Mapping[str, int]) -> list[Task]:
    """The tasks for the files (path to size, in order): large plain files in byte ranges."""
    tasks: list[Task] = []
    for path, size in sizes.items():
        if path == "-":
            raise InputError("--dask: - (stdin) cannot be read on a cluster; give files or URLs")
        parts = -(-size // files.RANGE_BYTES)
        if size >= files.SPLIT_MIN_BYTES and parts > 1 and files.is_plain(path, size):
            cuts = [size * k // parts for k in range(parts + 1)]
            tasks += [(path, a, b, size) for a, b in itertools.pairwise(cuts) if b > a]
        else:
            tasks.append((path, 0, None, size))
    return tasks


def _probe(address: str, timeout: float) -> None:
    """Raise :class:`InputError` unless a Dask scheduler answers at ``address`` in time."""
    comm_core: Any = importlib.import_module("distributed.comm.core")

    async def knock() -> None:
        comm = await comm_core.connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(knock(), timeout + 1))
    except Exception as exc:  # refused, timed out, malformed, or not a Dask scheduler at all
        why = _masked(address, str(exc) or type(exc).__name__)
        raise InputError(
            f"--dask {_masked(address, address)}: no Dask scheduler answered within {timeout:g} s"
            f" ({why})"
        ) from None


def _masked(address: str, text: str) -> str:
    """``text`` without the credentials written into ``address`` (``scheme://user:pw@host``),
    however it quotes them."""
    text = redact_urls(text)
    rest = address.split("://", 1)[-1]
    if "@" in rest:
        text = text.replace(rest.split("@", 1)[0], "***")
    return text


@contextlib.contextmanager
def _client(address: str, timeout: float, workers: int | None) -> Iterator[Any]:
    distributed = _distributed()
    if address == LOCAL:
        # the workers start with Ctrl-C ignored (the cost: one pressed in those few seconds
        # is lost; blocking the signal instead would not reach them: they are spawned from
        # threads that do not block it)
        with sigint_ignored():
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,  # the scan holds the GIL: a process per core
                dashboard_address=":0",  # None still binds 8787 (its HTTP server); any free port
                silence_logs=logging.ERROR,
            )
        with cluster, distributed.Client(cluster, timeout=timeout) as client:
            yield client
        return
    _probe(address, timeout)
    with distributed.Client(address, timeout=timeout) as client:
        yield client


def scan_on_dask(
    sizes: Mapping[str, int],
    options: ScanOptions,
    address: str,
    *,
    timeout: float = 10.0,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] = _never,
    on_files: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Scan the files (path to size, in order) on the Dask cluster at ``address`` (``local``:
    a local cluster of ``workers`` processes, default the CPU count, for this run) into one
    result, exactly as :func:`files.scan_paths` would.

    ``on_progress(bytes_done, bytes_total)`` is called as tasks finish, and
    ``on_files(files_done, files_total)`` at the start and as each file's last task (of its
    byte ranges) finishes. Once ``stop()`` is true
    (Ctrl-C) the tasks not finished are cancelled: the result holds the finished ones.

    Raises :class:`InputError` when Dask is not installed, when no scheduler answers at
    ``address`` within ``timeout`` seconds, or when a worker cannot run the scan.
    """
    _distributed()
    tasks = plan(sizes)
    result = ScanResult()
    merge = files.OrderedMerge(result, [task[0] for task in tasks])
    with _client(address, timeout, workers) as client:
        _run(client, tasks, options, merge, sum(sizes.values()), on_progress, stop, on_files)
    merge.finish()
    files.finish_joins(result, options)
    return result


def _run(
    client: Any,
    tasks: list[Task],
    options: ScanOptions,
    merge: files.OrderedMerge,
    total: int,
    on_progress: Callable[[int, int], None] | None,
    stop: Callable[[], bool],
    on_files: Callable[[int, int], None] | None = None,
) -> None:
    """Run the tasks, handing each part to ``merge`` as it comes (the client holds only the
    parts that finished before an earlier one, and the cluster none it has handed over)."""
    distributed = _distributed()
    paths, starts, ends, sizes = (list(column) for column in zip(*tasks, strict=True))
    futures = client.map(files.scan_part, paths, starts, ends, sizes, options=options, pure=False)
    where = {future.key: i for i, future in enumerate(futures)}
    pending = set(futures)
    del futures
    done_bytes = 0
    left = collections.Counter(paths)  # tasks still running per file
    files_done, files_total = 0, len(left)
    if on_files is not None:
        on_files(files_done, files_total)
    try:
        while pending:
            if stop():
                break
            try:
                finished, pending = distributed.wait(
                    pending, timeout=_POLL_S, return_when="FIRST_COMPLETED"
                )
            except TimeoutError:
                continue
            for future in finished:
                i = where[future.key]
                merge.add(i, _result(future))
                future.release()
                _path, start, end, size = tasks[i]
                done_bytes += size if end is None else end - start
                if on_progress is not None:
                    on_progress(done_bytes, total)
                left[_path] -= 1
                if not left[_path]:
                    files_done += 1
                    if on_files is not None:
                        on_files(files_done, files_total)
    finally:
        if pending:  # stopped, or a task failed: the rest is not wanted
            client.cancel(list(pending))


def _result(future: Any) -> ScanResult:
    try:
        part: ScanResult = future.result()
    except (ImportError, AttributeError) as exc:  # a worker without llmops (or a backend)
        raise InputError(
            f"--dask: a worker could not run the scan ({type(exc).__name__}: "
            f"{redact_urls(str(exc))}); install llmops-toolkit and the storage backend on "
            "every worker"
        ) from None
    return part
