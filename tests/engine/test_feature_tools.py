"""A feature's declared tools and response format go out with every Engine.call, in its
provider's wire format, and the answers come back as tool calls or schema-valid JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops import Engine, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.mock import MockTransport

pytestmark = pytest.mark.anyio

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOLS = {
    "openai": [{"type": "function", "function": {"name": "weather", "parameters": CITY}}],
    "anthropic": [{"name": "weather", "input_schema": CITY}],
}
MSG = [{"role": "user", "content": "weather in Paris?"}]


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    from trio.testing import MockClock

    return ("trio", {"clock": MockClock(autojump_threshold=0)})


def rig(kind: str, feature: dict[str, Any]) -> tuple[Any, MockTransport, list[dict[str, Any]]]:
    clock = AnyioClock()
    mock = MockTransport("instant", clock=clock)
    sent: list[dict[str, Any]] = []
    inner = mock.send

    async def spy(request: Any) -> Any:
        sent.append(json.loads(request.body))
        return await inner(request)

    mock.send = spy  # type: ignore[method-assign]
    base = "http://mock/v1" if kind == "openai" else "http://mock"
    cfg = config_from_dict(
        {
            "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
            "features": {"f": feature},
        }
    )
    return Engine(cfg, transport=mock, clock=clock), mock, sent


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_declared_tools_go_out_and_the_tool_call_comes_back(kind: str) -> None:
    engine, _, sent = rig(kind, {"tools": TOOLS[kind]})
    async with engine:
        result = await engine.call(MSG, feature="f")
    assert sent[0]["tools"] == TOOLS[kind]
    assert result.response is not None
    (call,) = result.response.tool_calls
    assert call.name == "weather" and "city" in json.loads(call.arguments)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_declared_json_schema_is_asked_in_each_wire_format_and_the_answer_valid(
    kind: str,
) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY}}
    engine, _, sent = rig(kind, {"response_format": fmt})
    async with engine:
        result = await engine.call(MSG, feature="f")
    if kind == "openai":
        assert sent[0]["response_format"] == fmt
    else:
        assert sent[0]["output_config"] == {"format": {"type": "json_schema", "schema": CITY}}
    assert result.ok and isinstance(json.loads(result.text or "")["city"], str)
