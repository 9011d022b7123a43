"""The mock's tool calls and structured output: minimal schema instances, refused definitions."""

from __future__ import annotations

from llmops.mock.tools import ask_anthropic, ask_openai, instance
from llmops.providers.tools import tool_problem

SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"enum": ["refund", "other"]},
        "score": {"type": "number", "minimum": 0.5},
        "tags": {"type": "array", "items": {"type": "string"}},
        "note": {"type": ["null", "string"]},
    },
    "required": ["label", "score", "tags"],
}


def test_an_instance_has_the_required_properties_with_valid_values() -> None:
    value = instance(SCHEMA, ["charged", "twice"])
    assert value == {"label": "refund", "score": 0.5, "tags": ["charged twice"]}


def test_a_forced_tool_is_called_and_a_tool_result_is_answered_in_text() -> None:
    tools = [
        {"type": "function", "function": {"name": "a", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "b", "parameters": SCHEMA}},
    ]
    forced = {"type": "function", "function": {"name": "b"}}
    msgs = [{"role": "user", "content": "x"}]
    ask = ask_openai({"messages": msgs, "tools": tools, "tool_choice": forced})
    assert ask is not None and (ask.kind, ask.name) == ("tool", "b")
    answered = [*msgs, {"role": "tool", "tool_call_id": "1", "content": "done"}]
    assert ask_openai({"messages": answered, "tools": tools}) is None
    assert ask_anthropic({"messages": msgs, "tools": [], "tool_choice": {"type": "auto"}}) is None


def test_definitions_a_provider_would_refuse_are_named() -> None:
    bad_name = {"tools": [{"type": "function", "function": {"name": "get weather"}}]}
    bad_schema = {"tools": [{"name": "w", "input_schema": {"type": "array"}}]}
    assert "tools[0].name" in (tool_problem("openai", bad_name) or "")
    assert "tools[0].input_schema" in (tool_problem("anthropic", bad_schema) or "")
    assert tool_problem("anthropic", {"tools": [{"name": "w", "input_schema": SCHEMA}]}) is None
