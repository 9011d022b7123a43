"""The team's feature the command-line options name: a function, an HTTP service, or none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from llmops.errors import InputError
from llmops.workflows.service.function import FunctionTarget, load_function
from llmops.workflows.service.http import FLAGS, HttpTarget, http_spec, load_http_target

__all__ = ["load_service"]


def load_service(
    function: str | None = None,
    http: str | None = None,
    *,
    method: str | None = None,
    body: str | None = None,
    headers: Sequence[str] = (),
    success: str | None = None,
    expect: str | None = None,
    cwd: str | Path | None = None,
) -> FunctionTarget | HttpTarget | None:
    """``--target-function SPEC`` or ``--target-http URL|FILE`` (with its ``--http-*``
    options) loaded and checked; None when neither is given. Raises
    :class:`~llmops.errors.InputError` for either both, an ``--http-*`` option without
    ``--target-http``, or anything :func:`load_function` / :func:`load_http_target` refuse."""
    given = {"method": method, "body": body, "success": success, "expect": expect}
    stray = [FLAGS[k] for k, v in given.items() if v is not None] + (
        [FLAGS["headers"]] if headers else []
    )
    if function is not None and http is not None:
        raise InputError("--target-function and --target-http: give one target, not both")
    if http is None:
        if stray:
            raise InputError(f"{stray[0]}: goes with --target-http")
        return load_function(function, cwd=cwd) if function is not None else None
    spec, source = http_spec(http, headers=headers, **given)
    return load_http_target(spec, source=source)
