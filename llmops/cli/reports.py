"""The one place that writes report files: every command renders first, then writes here.

Reporters are pure (result in, ``str`` or ``bytes`` out). :func:`write_reports` renders every
report before it writes any, then writes each one atomically: the bytes go to a temporary file
in the same directory, are flushed to disk (``fsync``) and the temporary file is renamed over
the final name (``os.replace``, atomic on POSIX and Windows). A reader, a CI step or a crash at
any moment therefore sees either the previous file or the whole new one — never half a report,
and never a ``*-latest.*`` copy that is half-written. The ``latest`` copies are written last,
so they change only once every stamped report is in place.

(``atomicwrites`` on PyPI did this job but is archived; the dozen lines below are what it did.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from llmops.errors import InputError

__all__ = ["Content", "append_step_summary", "write_atomic", "write_reports"]

#: what a reporter returns: text (written as UTF-8) or bytes
Content = str | bytes


def write_atomic(path: Path, content: Content) -> Path:
    """Write ``content`` to ``path`` so that ``path`` is always the old file or the whole new one.

    On any failure the temporary file is removed and the exception propagates; ``path`` is
    left as it was.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # 0o666 less the umask, as for any file the user creates (mkstemp would make it 0o600)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(path.parent)
    return path


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_reports(
    directory: Path,
    reports: Mapping[str, Content | Callable[[], Content]],
    *,
    latest: Mapping[str, str] | None = None,
) -> list[Path]:
    """Render, then atomically write ``reports`` (file name -> content or a renderer) into
    ``directory``; ``latest`` maps a report's name to the name of its ``*-latest.*`` copy.

    Every renderer runs before the first file is written, so a reporter that raises leaves
    the directory untouched. Returns the paths of ``reports`` (not of the copies). A directory
    that cannot be created or written raises :class:`~llmops.errors.InputError` naming it.
    """
    rendered = {name: body() if callable(body) else body for name, body in reports.items()}
    copies = latest or {}
    unknown = sorted(set(copies) - set(rendered))
    if unknown:
        raise ValueError(f"latest copies of reports not given: {', '.join(unknown)}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = [write_atomic(directory / name, body) for name, body in rendered.items()]
        for name, copy in copies.items():
            write_atomic(directory / copy, rendered[name])
    except OSError as exc:
        raise InputError(
            f"--report-dir {directory}: cannot write reports ({exc.strerror or exc})"
        ) from exc
    return written


def append_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to the CI step summary (``$GITHUB_STEP_SUMMARY``) when there is one.

    The runner owns that file and expects appends, so it is appended to, not replaced.
    """
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(markdown)
    return Path(target)
