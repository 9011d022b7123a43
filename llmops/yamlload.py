"""Load YAML into a validated pydantic model, with errors that point at the file and line.

Every problem becomes one line: ``FILE:LINE: dotted.path: got VALUE, expected ...``, with a
"did you mean" for a misspelt key. YAML is read and parsed by :mod:`llmops.yamlsafe` (the safe
loader, within bounds of size, depth and alias expansion; plain tags and finite numbers only).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from llmops.errors import ConfigError, did_you_mean
from llmops.redact import redact_urls
from llmops.yamlsafe import load_yaml_text, read_text

M = TypeVar("M", bound=BaseModel)

Loc = tuple[str | int, ...]


Check = Callable[[Any], list[tuple[Loc, str]]]


def load_yaml_model(
    path: Path | str,
    model: type[M],
    *,
    what: str = "configuration",
    check: Check | None = None,
    raw_check: Check | None = None,
) -> M:
    """Read ``path`` and validate it as ``model``; raise :class:`ConfigError` listing every problem.

    ``check`` runs on the validated model and returns (location, message) pairs for problems that
    span keys (e.g. a reference to an undefined name); they are reported with their lines too.
    """
    path = Path(path)
    text = read_text(path, what)
    return parse_yaml_model(
        text, model, source=str(path), what=what, check=check, raw_check=raw_check
    )


def parse_yaml_model(
    text: str,
    model: type[M],
    *,
    source: str,
    what: str = "configuration",
    check: Check | None = None,
    raw_check: Check | None = None,
) -> M:
    """Validate YAML ``text`` as ``model``; ``source`` names it in error lines."""
    data, lines = _load_with_lines(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}:1: expected a mapping of keys at the top of the {what}, got {type(data).__name__}"
        )
    return validate_model(data, model, source=source, lines=lines, check=check, raw_check=raw_check)


def validate_model(
    data: dict[str, Any],
    model: type[M],
    *,
    source: str,
    lines: dict[Loc, int] | None = None,
    check: Check | None = None,
    raw_check: Check | None = None,
) -> M:
    """Validate an already-parsed mapping, formatting errors as in :func:`parse_yaml_model`.

    ``raw_check`` looks at the raw mapping for the cross-key problems ``check`` finds, so that
    when the model is invalid the user still gets every problem at once; it must tolerate any
    shape of data."""
    lines = lines or {}
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems = format_validation_error(exc, model, source, lines)
        if raw_check is not None:  # every problem in one pass, not references after keys
            problems += [
                f"{_where(source, loc, lines)}: {_dotted(loc)}: {msg}"
                for loc, msg in raw_check(data)
            ]
        raise ConfigError(_by_line(problems, source)) from None
    if check is not None:
        problems = [
            f"{_where(source, loc, lines)}: {_dotted(loc)}: {msg}" for loc, msg in check(result)
        ]
        if problems:
            raise ConfigError(problems)
    return result


def format_validation_error(
    exc: ValidationError, model: type[BaseModel], source: str, lines: dict[Loc, int]
) -> list[str]:
    """One line per distinct problem: file, line, dotted path, value, expectation, suggestion.

    The same problem repeated over list items (a misspelt check type or key in many cases) is
    one line, at its first place, naming the lines of the others."""
    found: dict[tuple[object, ...], tuple[Loc, str, list[int]]] = {}
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"], model)
        kind = err["type"]
        group: tuple[object, ...]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            ctx = err.get("ctx") or {}
            field = str(ctx.get("discriminator", "type")).strip("'")
            loc = (*loc, field)
            if kind == "union_tag_not_found":
                what = "required key is missing"
            else:
                tag = str(ctx.get("tag"))
                expected = [
                    t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")
                ]
                what = f"unknown {field} {tag!r}" + did_you_mean(
                    tag, expected, otherwise=f"; expected one of: {', '.join(expected)}"
                )
        elif kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            known = sorted(_fields_at(model, loc[:-1]))
            what = "unknown key" + did_you_mean(
                key, known, otherwise=f"; expected one of: {', '.join(known)}"
            )
        elif kind == "missing":
            what = "required key is missing"
        else:
            value = "<hidden>" if _is_secretish(loc) else _short(err.get("input"))
            what = f"got {value}, expected {_expectation(err['msg'])}"
        group = (tuple("*" if isinstance(p, int) else p for p in loc), what)
        if group in found:
            first, _, more = found[group]
            line = _line_for(loc, lines)
            if loc != first and (not lines or line not in more):
                more.append(line)
            continue
        found[group] = (loc, what, [])
    return [_problem_line(source, loc, what, more, lines) for loc, what, more in found.values()]


def _problem_line(source: str, loc: Loc, what: str, more: list[int], lines: dict[Loc, int]) -> str:
    line = f"{_where(source, loc, lines)}: {_dotted(loc) or '(top level)'}: {what}"
    if more and lines:
        shown = ", ".join(str(n) for n in more[:5])
        rest = f" and {len(more) - 5} more" if len(more) > 5 else ""
        line += f" (also on line{'s' if len(more) > 1 else ''} {shown}{rest})"
    elif more:
        line += f" ({len(more)} more like it)"
    return line


def _by_line(problems: list[str], source: str) -> list[str]:
    """Problems in the order of their lines in the file (stable for equal lines), once each."""

    def line(problem: str) -> int:
        head = problem.removeprefix(source + ":").split(":", 1)[0]
        return int(head) if head.isdigit() else 0

    return sorted(dict.fromkeys(problems), key=line)


_SECRET_WORDS = ("api_key", "apikey", "secret", "password", "authorization")


def _is_secretish(loc: Loc) -> bool:
    """Values under these keys are never echoed, even when invalid: they may be real keys."""
    return any(isinstance(p, str) and any(w in p.lower() for w in _SECRET_WORDS) for p in loc)


def _expectation(msg: str) -> str:
    for prefix in ("Input should be ", "Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg[0].lower() + msg[1:] if msg else msg


def _short(value: Any) -> str:
    text = redact_urls(repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _clean_loc(loc: Iterable[Any], model: type[BaseModel]) -> Loc:
    """Drop pydantic's union-member and discriminator-tag entries so the path matches YAML keys."""
    parts: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part.startswith(("function-", "tagged-union[", "union["))
            or ("[" in part and "]" in part)
        ):
            continue
        if isinstance(part, str) and _is_union_tag(model, tuple(parts), part):
            continue
        parts.append(part)
    return tuple(parts)


def _is_union_tag(model: type[BaseModel], loc: Loc, part: str) -> bool:
    """True when ``loc`` is a union of models and ``part`` names no field of any of them."""
    members = [
        t
        for tp in _types_at(model, loc)
        for t in _expand(tp)
        if isinstance(t, type) and issubclass(t, BaseModel)
    ]
    return len(members) > 1 and not any(part in m.model_fields for m in members)


def _where(source: str, loc: Loc, lines: dict[Loc, int]) -> str:
    """``FILE:LINE`` for a file; just the source's name for data that came from elsewhere."""
    return f"{source}:{_line_for(loc, lines)}" if lines else source


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return 1


def _fields_at(model: type[BaseModel], loc: Loc) -> set[str]:
    """The keys the schema accepts at ``loc`` (union members and containers are walked)."""
    names: set[str] = set()
    for tp in _types_at(model, loc):
        for inner in _expand(tp):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names.update(inner.model_fields)
    return names


def _types_at(model: type[BaseModel], loc: Loc) -> list[Any]:
    candidates: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for tp in candidates:
            for inner in _expand(tp):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    if isinstance(part, str) and part in inner.model_fields:
                        nxt.append(inner.model_fields[part].annotation)
                elif typing.get_origin(inner) in (dict, list, tuple) or inner in (dict, list):
                    args = typing.get_args(inner)
                    if args:
                        nxt.append(args[-1] if typing.get_origin(inner) is dict else args[0])
        candidates = nxt
    return candidates


def _expand(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _expand(typing.get_args(tp)[0])
    if origin is typing.Union or isinstance(tp, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_expand(arg))
        return out
    return [tp]


def _load_with_lines(text: str, source: str) -> tuple[Any, dict[Loc, int]]:
    data, node = load_yaml_text(text, source)
    if node is None:
        return None, {}
    lines: dict[Loc, int] = {}
    _index(node, (), lines, source)
    return data, lines


def _index(node: yaml.Node, loc: Loc, lines: dict[Loc, int], source: str) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    f"{source}:{key_node.start_mark.line + 1}: {_dotted((*loc, key))}: duplicate key"
                )
            seen.add(key)
            key_loc = (*loc, key)
            lines[key_loc] = key_node.start_mark.line + 1
            _index(value_node, key_loc, lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), lines, source)
