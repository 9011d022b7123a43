"""promptfoo's Nunjucks templates, rendered with Jinja2 (which reads the Nunjucks syntax that
prompts and assertion values use: ``{{ var }}``, filters, ``{% if %}``, ``{% for %}``).

Nunjucks renders an unset variable as empty text, as Jinja2's default ``Undefined`` does; the
filters Nunjucks has and Jinja2 lacks (``dump``) are added here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2

__all__ = ["TemplateProblem", "render"]


class TemplateProblem(ValueError):
    """A template that does not parse, or fails while rendering (the message says why)."""


def _dump(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True)
    env.filters["dump"] = _dump
    env.filters["json"] = _dump
    return env


@lru_cache(maxsize=512)
def _compiled(template: str) -> jinja2.Template:
    try:
        return _env().from_string(template)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(
            f"template syntax error on its line {exc.lineno}: {exc.message}"
        ) from None


def render(template: str, variables: Mapping[str, Any]) -> str:
    """``template`` with ``variables`` filled in (a string without ``{{``/``{%`` is returned as is)."""
    if "{" not in template:
        return template
    try:
        return _compiled(template).render(**variables)
    except TemplateProblem:
        raise
    except Exception as exc:  # a filter given the wrong type, a bad attribute access, ...
        raise TemplateProblem(f"template failed: {type(exc).__name__}: {exc}") from None
