"""Tool definitions as each provider accepts them: what a provider would refuse, said before
the request is sent (the mock refuses the same with a 400, as upstream does)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["tool_problem"]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tool_problem(api: str, data: Mapping[str, Any]) -> str | None:
    """Why the provider would refuse the request's tool definitions, or ``None``."""
    tools = data.get("tools")
    if tools is None:
        return None
    if not isinstance(tools, list):
        return "'tools' must be a list"
    for i, tool in enumerate(tools):
        spec = tool.get("function") if api == "openai" and isinstance(tool, dict) else tool
        if not isinstance(spec, dict):
            return f"tools[{i}]: a tool must be an object" + (
                " with a 'function'" if api == "openai" else ""
            )
        name = spec.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            return f"tools[{i}].name: {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$"
        key = "parameters" if api == "openai" else "input_schema"
        schema = spec.get(key, {"type": "object"} if api == "openai" else None)
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return f"tools[{i}].{key}: must be a JSON schema of type 'object'"
    return None
