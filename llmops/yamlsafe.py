"""Reading a user's text file and parsing YAML (or JSON) from it in bounded time and memory.

Every file a user hands llmops (``llmops.yaml``, eval suites, promptfoo configs, mock profiles,
price tables) and every profile patch sent to the mock's control API is read here. What a
hostile or broken file gets, always as one :class:`~llmops.errors.ConfigError` line naming the
file (and the line where known):

- more than :data:`MAX_BYTES` bytes: refused before parsing (pure-Python YAML parses a few
  hundred kB a second);
- a NUL byte (a binary file) or bytes that are not UTF-8: refused, with the line;
- nesting deeper than :data:`MAX_DEPTH`: refused while composing, before Python's recursion
  limit is near;
- aliases that would expand to more than :data:`MAX_ALIAS_NODES` extra nodes (an "alias
  bomb": a few hundred bytes of nested anchors that expand to billions of nodes), or an alias
  inside its own anchor: refused by counting the expanded size on the node graph, which costs
  one pass over the distinct nodes;
- a tag other than plain YAML's (``!!python/object``, ``!custom``, ``!!binary``...): refused,
  nothing is constructed;
- a number that is not finite (``.inf``, ``.nan``, ``1.0e+400``) or an integer of absurd length:
  refused. (``1e400`` without a dot is a *string* to YAML 1.1; the pydantic models refuse it
  where a number is expected, with ``allow_inf_nan=False``.)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from llmops.errors import ConfigError

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "LineIndex",
    "decode_text",
    "load_yaml_text",
    "read_text",
]

#: the largest YAML file read (8 MiB)
MAX_BYTES = 8 * 1024 * 1024
#: the deepest nesting of mappings and lists accepted
MAX_DEPTH = 64
#: how many nodes aliases may add beyond those written in the file
MAX_ALIAS_NODES = 100_000
#: the longest integer accepted, in characters
MAX_INT_CHARS = 40

_YAML = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(
    _YAML + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)

Loc = tuple[str | int, ...]
LineIndex = dict[Loc, int]


def read_text(path: Path | str, what: str) -> str:
    """The text of ``path`` (a ``what`` file), refusing missing, huge, binary and non-UTF-8 files."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a {what} file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"{path}: {what} file is larger than {MAX_BYTES // (1024 * 1024)} MiB; refused"
        )
    return decode_text(data, str(path), what)


def decode_text(data: bytes, source: str, what: str) -> str:
    """``data`` as UTF-8 text (a BOM is dropped); a binary or non-UTF-8 one is refused with
    the line of its first bad byte."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ConfigError(
            f"{source}:{line}: binary data, not text (a NUL byte at offset {nul});"
            f" expected the {what} as YAML text"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{source}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at column {column});"
            " save the file as UTF-8"
        ) from None


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a bound on nesting depth while composing."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self._source = source
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise ConfigError(
                    f"{self._source}:{line}: nested deeper than {MAX_DEPTH} levels; refused"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A timestamp that is no real date (``2026-13-01``) stays a string, so that the schema
    reports it with its file and line instead of the constructor raising."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_BoundedLoader.add_constructor(_YAML + "timestamp", _timestamp)


def load_yaml_text(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML (or JSON) ``text`` within the bounds above; the data and its root node.

    ``source`` names the text in error lines (a file name, or e.g. ``profile patch``).
    """
    if len(text) > MAX_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MiB; refused")
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, source)  # the reader refuses control characters at once
        node = loader.get_single_node()
        if node is None:
            return None, None
        _inspect(node, source)
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError(
            f"{source}:{line}: invalid YAML: character #x{exc.character:04x} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}:{line}: invalid YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(f"{source}: invalid YAML value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _inspect(root: yaml.Node, source: str) -> None:
    """Check tags and numbers on each distinct node once, and the size aliases expand to."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in _children(node))
            continue
        if key in size:
            continue
        on_path.add(key)
        _check_node(node, source)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise ConfigError(
                    f"{source}:{child.start_mark.line + 1}: an alias refers to its own anchor"
                    " (a recursive structure); refused"
                )
            if id(child) not in size:
                stack.append((child, False))
    extra = size[id(root)] - len(size)
    if extra > MAX_ALIAS_NODES:
        raise ConfigError(
            f"{source}: aliases (*name) expand to more than {MAX_ALIAS_NODES:,} extra nodes"
            " (an alias bomb?); refused"
        )


def _check_node(node: yaml.Node, source: str) -> None:
    line = node.start_mark.line + 1
    tag = str(node.tag)
    if tag not in _PLAIN_TAGS:
        shown = "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag
        raise ConfigError(
            f"{source}:{line}: tag {shown} is not allowed (plain YAML only: mappings, lists,"
            " strings, numbers, booleans, null)"
        )
    if not isinstance(node, yaml.ScalarNode):
        return
    value = str(node.value)
    if tag == _YAML + "float" and ":" not in value:
        text = value.replace("_", "").lower().lstrip("+-")
        try:
            finite = text not in (".inf", ".nan") and math.isfinite(float(text))
        except ValueError:
            finite = True  # not a number after all: the constructor says what is wrong
        if not finite:
            raise ConfigError(f"{source}:{line}: got {value[:40]}, expected a finite number")
    elif tag == _YAML + "int" and len(value) > MAX_INT_CHARS:
        raise ConfigError(
            f"{source}:{line}: got an integer of {len(value)} characters, expected a number"
            f" of at most {MAX_INT_CHARS}"
        )
