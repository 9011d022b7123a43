"""promptfoo's Nunjucks templates, rendered with Jinja2 (which reads the Nunjucks syntax that
prompts and assertion values use: ``{{ var }}``, filters, ``{% if %}``, ``{% for %}``).

Nunjucks renders an unset variable as empty text, and reading into one (``x.y``, ``x[0]``,
``x.length - 1``) is undefined too, not an error; ``.length`` of a string or an array is its
length, as in JavaScript. The filters Nunjucks has and Jinja2 lacks (``dump``), promptfoo's own ``load`` (JSON text to a
value) and a config's ``nunjucksFilters`` (JavaScript functions, run by Node.js) are added here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from llmops.errors import ConfigError
from llmops.workflows.evals.promptfoo_format.files import Located, strip_file
from llmops.workflows.evals.promptfoo_format.scripts import (
    NODE_MISSING,
    ScriptError,
    call_javascript_file,
    node_available,
)

__all__ = ["Filters", "TemplateProblem", "read_filters", "render"]

#: a config's ``nunjucksFilters``: (name, JavaScript file), sorted (hashable, for the cache)
Filters = tuple[tuple[str, Path], ...]


class TemplateProblem(ValueError):
    """A template that does not parse, or fails while rendering (the message says why)."""


def _dump(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def _load(text: Any) -> Any:
    if isinstance(text, jinja2.Undefined):
        raise TemplateProblem("load: got an unset variable, expected JSON text")
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise TemplateProblem(f"load: got {text!r}, expected JSON text ({exc})") from None


def _js_filter(path: Path) -> Callable[..., Any]:
    def call(value: Any, *args: Any) -> Any:
        try:
            return call_javascript_file(path, [value, *args])
        except ScriptError as exc:
            raise TemplateProblem(f"filter {exc}") from None

    return call


class _Undefined(jinja2.ChainableUndefined):
    """Nunjucks's undefined: printed empty, its attributes and items undefined too, and
    arithmetic on it undefined (``x.length - 1`` of a missing ``x``), never an error."""

    def _undefined_op(self, *_args: Any, **_kwargs: Any) -> Any:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _undefined_op
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = _undefined_op
    __mod__ = __rmod__ = __pos__ = __neg__ = __pow__ = __rpow__ = _undefined_op


class _Environment(jinja2.Environment):
    """JavaScript's ``.length`` of a string or an array, as Nunjucks templates use it."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute == "length" and isinstance(obj, (str, list, tuple)):
            return len(obj)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=8)
def _env(filters: Filters = ()) -> jinja2.Environment:
    env = _Environment(autoescape=False, keep_trailing_newline=True, undefined=_Undefined)
    env.filters["dump"] = _dump
    env.filters["json"] = _dump
    env.filters["load"] = _load
    for name, path in filters:
        env.filters[name] = _js_filter(path)
    return env


def read_filters(item: Located, base: Path) -> Filters:
    """A config's ``nunjucksFilters`` (``name: ./filter.js``), each file checked."""
    if not isinstance(item.value, dict):
        raise ConfigError(f"{item.where}: expected a mapping of filter name to a JavaScript file")
    out: list[tuple[str, Path]] = []
    for name, ref in item.value.items():
        where = item.source.where((*item.loc, name))
        if not isinstance(ref, str) or not re.fullmatch(r".+\.[cm]?js", strip_file(ref)):
            raise ConfigError(f"{where}: got {ref!r}, expected a JavaScript file (./filter.js)")
        path = (base / strip_file(ref)).resolve()
        if not path.is_file():
            raise ConfigError(f"{where}: file not found: {path}")
        if not node_available():
            raise ConfigError(f"{where}: a nunjucks filter {NODE_MISSING}")
        out.append((str(name), path))
    return tuple(sorted(out))


@lru_cache(maxsize=512)
def _compiled(template: str, filters: Filters = ()) -> jinja2.Template:
    try:
        return _env(filters).from_string(template)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"template syntax error on its line {exc.lineno}: {exc.message}"
        ) from None


def render(template: str, variables: Mapping[str, Any], filters: Filters = ()) -> str:
    """``template`` with ``variables`` filled in (a string without ``{{``/``{%`` is returned as is)."""
    if "{" not in template:
        return template
    try:
        return _compiled(template, filters).render(**variables)
    except TemplateProblem:
        raise
    except Exception as exc:  # a filter given the wrong type, a bad attribute access, ...
        raise TemplateProblem(f"template failed: {type(exc).__name__}: {exc}") from None
