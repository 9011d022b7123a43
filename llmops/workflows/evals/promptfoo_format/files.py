"""Reading what a promptfoo config points at: ``file://`` paths and globs, YAML/JSON/JSONL/CSV
test files (CSV with promptfoo's ``__expected``, ``__description``, ``__metadata`` columns).

Each item read carries where it came from (``FILE:LINE: dotted.path``), so a problem found later
is reported against the user's own file.
"""

from __future__ import annotations

import csv
import glob
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from llmops.errors import ConfigError
from llmops.yamlload import Loc, _dotted, _line_for, _load_with_lines
from llmops.yamlsafe import read_text

__all__ = ["Located", "Source", "expand_paths", "read_data_file", "read_tests_csv", "strip_file"]


@dataclass(frozen=True, slots=True)
class Source:
    """A file and the line of every dotted location in it (empty for files without lines)."""

    path: Path
    lines: dict[Loc, int]

    def where(self, loc: Loc) -> str:
        """``FILE:LINE: dotted.path`` (``FILE: dotted.path`` when lines are unknown)."""
        dotted = _dotted(loc)
        head = f"{self.path}:{_line_for(loc, self.lines)}" if self.lines else str(self.path)
        return f"{head}: {dotted}" if dotted else head


@dataclass(frozen=True, slots=True)
class Located:
    """A value read from a config or test file, and where it was."""

    value: Any
    source: Source
    loc: Loc

    @property
    def where(self) -> str:
        return self.source.where(self.loc)

    def child(self, key: str | int) -> Located:
        """The item at ``key`` of this mapping or list."""
        return Located(self.value[key], self.source, (*self.loc, key))


def strip_file(ref: str) -> str:
    """``file://x`` as ``x``."""
    return ref.removeprefix("file://")


def expand_paths(ref: str, base: Path, where: str) -> list[Path]:
    """The files a ``file://`` reference names: one path, or every match of a glob, sorted."""
    pattern = strip_file(ref)
    full = pattern if Path(pattern).is_absolute() else str(base / pattern)
    if any(ch in pattern for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(full, recursive=True))
        if not found:
            raise ConfigError(f"{where}: {ref!r} matches no file")
        return found
    path = Path(full)
    if not path.is_file():
        raise ConfigError(f"{where}: file not found: {path}")
    return [path]


def read_data_file(path: Path, where: str) -> Located:
    """A YAML, JSON or JSONL file's content, with lines for YAML and JSON (JSON is YAML)."""
    text = read_text(path, "promptfoo data")  # bounded; binary and non-UTF-8 refused by line
    if path.suffix == ".jsonl":
        items: list[Any] = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:  # orjson: no NaN/Infinity, a depth limit instead of a RecursionError
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{n}: invalid JSON: {exc}") from None
        return Located(items, Source(path, {(i,): i + 1 for i in range(len(items))}), ())
    try:
        data, lines = _load_with_lines(text, str(path))
    except yaml.YAMLError as exc:  # pragma: no cover - _load_with_lines shapes these itself
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return Located(data, Source(path, lines), ())


def read_tests_csv(path: Path, where: str) -> Iterator[Located]:
    """One promptfoo test per CSV row: variables from plain columns, assertions from
    ``__expected`` columns, ``__description``, ``__metadata:key`` (or ``__metadata`` JSON),
    ``__threshold``, ``__prefix``/``__suffix``."""
    text = read_text(path, "tests CSV")  # bounded; binary and non-UTF-8 refused by line
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ConfigError(f"{where}: cannot read {path}: {exc}") from None
    for n, row in enumerate(rows):
        test: dict[str, Any] = {"vars": {}}
        asserts: list[Any] = []
        for column, cell in row.items():
            if column is None:
                continue
            value = cell or ""
            if column.startswith("__expected"):
                if value.strip():
                    asserts.append(value)
            elif column == "__description":
                test["description"] = value
            elif column.startswith("__metadata"):
                meta = test.setdefault("metadata", {})
                _, _, key = column.partition(":")
                if key:
                    meta[key.removesuffix("[]")] = value
                elif value:
                    try:
                        meta.update(orjson.loads(value))
                    except (orjson.JSONDecodeError, TypeError, ValueError):
                        raise ConfigError(
                            f"{path}:{n + 2}: __metadata: got {value!r}, expected a JSON object"
                        ) from None
            elif column == "__threshold":
                if value:
                    try:
                        test["threshold"] = float(value)
                        if not math.isfinite(test["threshold"]):
                            raise ValueError(value)
                    except ValueError:
                        raise ConfigError(
                            f"{path}:{n + 2}: __threshold: got {value!r}, expected a number"
                        ) from None
            elif column in ("__prefix", "__suffix"):
                test.setdefault("options", {})[column.strip("_")] = value
            elif column.startswith("__"):
                raise ConfigError(
                    f"{path}:1: column {column!r} is not a promptfoo test column "
                    "(__expected, __description, __metadata, __threshold, __prefix, __suffix)"
                )
            else:
                test["vars"][column] = value
        if asserts:
            test["assert"] = asserts
        lines: dict[Loc, int] = {(): n + 2}
        yield Located(test, Source(path, lines), ())
