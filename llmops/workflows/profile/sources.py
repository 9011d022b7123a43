"""Where logs come from: local files as they are, URLs (``s3://``, ``gs://``, ``az://``,
``memory://``, ``file://``…) through fsspec.

Local paths keep Python's own ``open`` (the fast path: no fsspec import, no extra buffering).
A URL is anything with ``://``: its filesystem comes from fsspec, imported only then, and a
missing backend is a one-line :class:`~llmops.errors.InputError` naming the ``pip install``
that fixes it. Credentials come from the backend's usual environment and config files
(``AWS_PROFILE``, ``GOOGLE_APPLICATION_CREDENTIALS``, ``AZURE_STORAGE_CONNECTION_STRING``…);
any written into a URL never reach a message (:func:`shown`).
"""

from __future__ import annotations

import glob
import os
from typing import Any, BinaryIO

from llmops.errors import InputError
from llmops.redact import redact_urls

__all__ = ["expand_source", "is_url", "open_source", "shown", "source_size"]

#: read-ahead of a remote file while it is scanned (a range request per this many bytes)
REMOTE_BLOCK_BYTES = 8 << 20


def is_url(path: str) -> bool:
    """Whether ``path`` names a file through fsspec (``scheme://…``) rather than a local path."""
    return "://" in path


def shown(path: str) -> str:
    """``path`` as it may be printed: credentials written into a URL masked."""
    return redact_urls(path) if is_url(path) else path


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem serving ``url`` and the path within it."""
    try:
        import fsspec
    except ImportError:
        raise InputError(
            f"{shown(url)}: reading URLs needs fsspec: pip install 'llmops-toolkit[dask]'"
        ) from None
    from fsspec.registry import known_implementations

    protocol = url.split("://", 1)[0]
    try:
        fs, inner = fsspec.core.url_to_fs(url)
        return fs, str(inner)
    except ImportError:
        known = known_implementations.get(protocol, {})
        package = str(known.get("class", protocol)).split(".", 1)[0]
        raise InputError(
            f"{shown(url)}: reading {protocol}:// needs its fsspec backend: pip install {package}"
        ) from None
    except ValueError as exc:  # an unknown protocol, a malformed URL
        raise InputError(f"{shown(url)}: {redact_urls(str(exc))}") from None


def expand_source(spec: str) -> list[tuple[str, int]]:
    """The files ``spec`` (a path, a URL or a glob of either) names, sorted, with their sizes.

    Raises :class:`InputError` when it names nothing or a directory.
    """
    if not is_url(spec):
        matches = sorted(glob.glob(spec)) if glob.has_magic(spec) else [spec]
        existing = [m for m in matches if os.path.exists(m)]
        if not existing:
            raise InputError(f"{spec}: no such file")
        for path in existing:
            if os.path.isdir(path):
                raise InputError(f"{path}: is a directory; expected a JSON-lines file")
        return [(path, os.path.getsize(path)) for path in existing]
    fs, path = _filesystem(spec)
    try:
        if glob.has_magic(path):
            found = fs.glob(path, detail=True)
        else:
            found = {path: fs.info(path)} if fs.exists(path) else {}
    except OSError as exc:
        raise InputError(f"{shown(spec)}: cannot list ({redact_urls(str(exc))})") from None
    if not found:
        raise InputError(f"{shown(spec)}: no such file")
    out: list[tuple[str, int]] = []
    for name, info in sorted(found.items()):
        url = fs.unstrip_protocol(name)
        if info.get("type") == "directory":
            raise InputError(f"{shown(url)}: is a directory; expected a JSON-lines file")
        out.append((_with_scheme(spec, url), int(info.get("size") or 0)))
    return out


def _with_scheme(spec: str, url: str) -> str:
    """``url`` as fsspec printed it, with ``spec``'s scheme: ``unstrip_protocol`` spells some
    schemes its own way (``az://`` as ``abfs://``), and the original is what the user gave."""
    scheme = spec.split("://", 1)[0]
    return scheme + "://" + url.split("://", 1)[1] if "://" in url else url


def source_size(path: str) -> int:
    """The size of the file at ``path`` in bytes."""
    if not is_url(path):
        return os.path.getsize(path)
    fs, inner = _filesystem(path)
    return int(fs.size(inner))


def open_source(path: str, *, probe: bool = False) -> BinaryIO:
    """``path`` opened for binary reading (seekable).

    A URL is read ahead :data:`REMOTE_BLOCK_BYTES` at a time; with ``probe`` it is not read
    ahead at all (a few small reads spread over the file: the gzip and binary checks).
    """
    if not is_url(path):
        return open(path, "rb")
    fs, inner = _filesystem(path)
    cache = {"cache_type": "none"} if probe else {"cache_type": "readahead"}
    try:
        return fs.open(inner, "rb", block_size=REMOTE_BLOCK_BYTES, **cache)  # type: ignore[no-any-return]
    except TypeError:  # a filesystem whose files take no cache options
        return fs.open(inner, "rb")  # type: ignore[no-any-return]
