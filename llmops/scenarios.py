"""Where the shipped scenarios are: mock profiles, eval suites, sample logs, loadtest prompts.

The repository keeps them in ``scenarios/<kind>/``; a wheel carries the same folder as
``llmops/_scenarios/<kind>/``. :func:`scenarios_dir` finds the one present, and
:func:`shipped_file` finds a shipped file by its name (``flaky``, ``support-classifier``), so
each command can take a name where it takes a file.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["KINDS", "scenarios_dir", "shipped_file", "shipped_names"]

#: the kinds of shipped scenarios, one folder each
KINDS = ("evals", "loadtest", "logs", "mock")

_PACKAGE = Path(__file__).resolve().parent


def scenarios_dir(kind: str) -> Path:
    """The folder of shipped ``kind`` scenarios: the wheel's ``llmops/_scenarios/<kind>``, else
    the repository's ``scenarios/<kind>``."""
    if kind not in KINDS:
        raise ValueError(f"scenario kind {kind!r}: expected one of {', '.join(KINDS)}")
    installed = _PACKAGE / "_scenarios" / kind
    return installed if installed.is_dir() else _PACKAGE.parent / "scenarios" / kind


def shipped_names(kind: str, suffix: str = ".yaml") -> list[str]:
    """The names of the shipped ``kind`` files ending in ``suffix``, sorted."""
    return sorted(p.stem for p in scenarios_dir(kind).glob(f"*{suffix}"))


def shipped_file(kind: str, name: str, suffix: str = ".yaml") -> Path | None:
    """The shipped file ``<kind>/<name><suffix>``, or None when there is none.

    A name that looks like a path (with a ``/`` or a file suffix) is never a shipped name.
    """
    if not name or "/" in name or "\\" in name or Path(name).suffix:
        return None
    candidate = scenarios_dir(kind) / f"{name}{suffix}"
    return candidate if candidate.is_file() else None
