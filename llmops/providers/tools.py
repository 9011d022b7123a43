"""Tool definitions and structured output as each provider accepts them: what a provider would
refuse, said before the request is sent (the mock refuses the same with a 400, as upstream
does), and a feature's declared tools and ``response_format`` as request options.

Refused: a ``tools`` that is not a list, more tools than the provider takes (OpenAI: 128), a
tool that is not an object (OpenAI: without a ``function``), a name outside
``^[a-zA-Z0-9_-]{1,64}$`` or used twice, parameters (Anthropic: ``input_schema``) that are not a
valid JSON Schema of type ``object``; a ``response_format`` that is not ``text``,
``json_object`` or a named, valid ``json_schema``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_TOOLS",
    "Problem",
    "feature_options",
    "response_format_problem",
    "tool_problem",
    "tool_problem_at",
]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: the most tools one request may carry, per provider kind (OpenAI documents 128)
MAX_TOOLS: Mapping[str, int] = {"openai": 128}


#: where in a request a problem is (``("tools", 0, "name")``), and what it is
Problem = tuple[tuple[str | int, ...], str]


def tool_problem(api: str, data: Mapping[str, Any]) -> str | None:
    """Why the provider would refuse the request's tool definitions, or ``None``."""
    found = tool_problem_at(api, data.get("tools"))
    if found is None:
        return None
    where, what = found
    return f"{_dotted(where)}: {what}" if len(where) > 1 else what


def tool_problem_at(api: str, tools: Any) -> Problem | None:
    """Where and why the provider would refuse ``tools`` (a request's), or ``None``."""
    if tools is None:
        return None
    if not isinstance(tools, list):
        return ("tools",), "'tools' must be a list"
    most = MAX_TOOLS.get(api)
    if most is not None and len(tools) > most:
        return ("tools",), f"'tools' has {len(tools)} tools, {api} takes at most {most}"
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        spec = tool.get("function") if api == "openai" and isinstance(tool, dict) else tool
        if not isinstance(spec, dict):
            what = "a tool must be an object" + (" with a 'function'" if api == "openai" else "")
            return ("tools", i), what
        name = spec.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            return ("tools", i, "name"), f"{name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$"
        if name in seen:
            return (
                "tools",
                i,
                "name",
            ), f"{name!r} is used by an earlier tool; names must be unique"
        seen.add(name)
        key = "parameters" if api == "openai" else "input_schema"
        schema = spec.get(key, {"type": "object"} if api == "openai" else None)
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return ("tools", i, key), "must be a JSON schema of type 'object'"
        if problem := _schema_problem(schema):
            return ("tools", i, key), f"not a valid JSON Schema ({problem})"
    return None


def _dotted(where: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")


def response_format_problem(fmt: Any) -> str | None:
    """Why a (chat-completions form) ``response_format`` would be refused, or ``None``."""
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        return "expected {type: text | json_object | json_schema}"
    if fmt["type"] != "json_schema":
        return None
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict):
        return "json_schema: expected {name: ..., schema: {...}}"
    name = spec.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        return f"json_schema.name: {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$"
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        return "json_schema.schema: expected a JSON Schema object"
    if problem := _schema_problem(schema):
        return f"json_schema.schema: not a valid JSON Schema ({problem})"
    return None


def feature_options(
    api: str, tools: list[dict[str, Any]] | None, response_format: dict[str, Any] | None
) -> dict[str, Any]:
    """A feature's declared tools and structured output as request options for ``api``:
    ``response_format`` as is for OpenAI, as ``output_config.format`` for Anthropic."""
    options: dict[str, Any] = {}
    if tools:
        options["tools"] = tools
    if response_format is not None and response_format.get("type") != "text":
        if api == "openai":
            options["response_format"] = response_format
        else:
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") or {"type": "object"}
            options["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    return options


def _schema_problem(schema: Mapping[str, Any]) -> str | None:
    from llmops.json_schema import schema_problem

    return schema_problem(schema)
