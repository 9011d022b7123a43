"""Tool calls and structured output in the mock: what a request asks for, and the answer.

A request with tools (and no tool result to answer yet) gets a call of the tool it forces, or
of its first tool; a request with a JSON-schema ``response_format`` (OpenAI) gets an answer that
is an instance of that schema (Anthropic: ``output_config.format``). Arguments and answers are minimal instances of the schema built
from the prompt's words, so a client can validate them. Tool definitions a provider would refuse
(a bad name, parameters that are not an object schema) are a 400, as upstream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from llmops.mock.content import Reply, split_pieces
from llmops.providers.tools import tool_problem

__all__ = ["Ask", "answer", "ask_anthropic", "ask_openai", "call_id", "instance", "tool_problem"]


@dataclass(frozen=True, slots=True)
class Ask:
    """What a request asks the model for beyond text: a call of tool ``name``, or JSON."""

    kind: Literal["tool", "json"]
    name: str
    schema: Mapping[str, Any]


def ask_openai(data: Mapping[str, Any]) -> Ask | None:
    """The tool call or JSON a chat-completions request asks for."""
    tools = [t["function"] for t in data.get("tools") or () if isinstance(t, dict)]
    choice = data.get("tool_choice")
    if tools and choice != "none" and not _answering_tool(data.get("messages")):
        name = tools[0]["name"]
        if isinstance(choice, dict):
            name = (choice.get("function") or {}).get("name", name)
        spec = next((t for t in tools if t["name"] == name), tools[0])
        return Ask("tool", spec["name"], spec.get("parameters") or {"type": "object"})
    fmt = data.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        return Ask("json", str(spec.get("name", "")), spec.get("schema") or {"type": "object"})
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return Ask("json", "", {"type": "object", "properties": {"answer": {"type": "string"}}})
    return None


def ask_anthropic(data: Mapping[str, Any]) -> Ask | None:
    """The tool use (or the JSON of ``output_config.format``) a Messages request asks for."""
    tools = [t for t in data.get("tools") or () if isinstance(t, dict) and "input_schema" in t]
    choice = data.get("tool_choice") or {}
    if not tools or choice.get("type") == "none" or _answering_tool(data.get("messages")):
        fmt = (data.get("output_config") or {}).get("format") or {}
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return Ask("json", "", fmt.get("schema") or {"type": "object"})
        return None
    name = (
        choice.get("name", tools[0]["name"]) if choice.get("type") == "tool" else tools[0]["name"]
    )
    spec = next((t for t in tools if t["name"] == name), tools[0])
    return Ask("tool", spec["name"], spec["input_schema"])


def _answering_tool(messages: Any) -> bool:
    """Whether the last message carries a tool's result (then the model answers in text)."""
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    last = messages[-1]
    if last.get("role") == "tool":
        return True
    content = last.get("content")
    return isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") == "tool_result" for p in content
    )


def instance(schema: Mapping[str, Any], words: Sequence[str]) -> Any:
    """A minimal instance of ``schema``: required properties (all when none are listed),
    the first enum value or const, strings made of ``words``."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props: Mapping[str, Any] = schema.get("properties") or {}
        keys = schema.get("required") or list(props)
        return {k: instance(props.get(k, {"type": "string"}), words) for k in keys}
    if kind == "array":
        return [instance(schema.get("items") or {"type": "string"}, words)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return " ".join(words[:3]) or "mock"


def answer(ask: Ask, reply: Reply) -> Reply:
    """The reply carrying the JSON ``ask`` wants (tool arguments or the structured answer)."""
    text = orjson.dumps(instance(ask.schema, reply.text.split())).decode()
    return Reply(text, split_pieces(text), "tool_calls" if ask.kind == "tool" else "stop")


def call_id(prefix: str, text: str) -> str:
    """A stable id for a tool call (``call_…`` / ``toolu_…``)."""
    return prefix + hashlib.sha1(text.encode()).hexdigest()[:16]
