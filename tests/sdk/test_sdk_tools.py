"""Tools, JSON-schema output and image parts round-trip through both wire formats."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest

from llmops import ConfigError, Engine, EventRecorder, ModelCall, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.mock import MockTransport
from llmops.sdk import OUTCOME_HEADER, async_http_client

pytestmark = pytest.mark.anyio

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "days"],
}
IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    from trio.testing import MockClock

    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class Rig:
    """An engine over the in-process mock, and the SDK client for ``kind`` through it."""

    def __init__(self, kind: str, **feature: Any) -> None:
        self.kind = kind
        self.clock = AnyioClock()
        self.mock = MockTransport("instant", clock=self.clock)
        self.recorder = EventRecorder()
        base = "http://mock/v1" if kind == "openai" else "http://mock"
        self.config = config_from_dict(
            {
                "providers": {"p": {"kind": kind, "base_url": base, "model": "mock-1"}},
                "features": {"f": feature},
            }
        )

    async def __aenter__(self) -> Any:
        self.engine = Engine(
            self.config, transport=self.mock, clock=self.clock, observers=[self.recorder]
        )
        await self.engine.__aenter__()
        http = async_http_client("f", engine=self.engine)
        if self.kind == "openai":
            return openai.AsyncOpenAI(api_key="x", http_client=http)
        return anthropic.AsyncAnthropic(api_key="x", http_client=http)

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.aclose()


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_tool_definitions_go_out_and_tool_calls_come_back(stream: bool) -> None:
    tools = [{"type": "function", "function": {"name": "weather", "parameters": WEATHER}}]
    msgs = [{"role": "user", "content": "weather in Paris this week?"}]
    async with Rig("openai") as client:
        if stream:
            chunks = await client.chat.completions.create(
                model="mock-1", messages=msgs, tools=tools, stream=True
            )
            calls = [c.choices[0].delta.tool_calls async for c in chunks if c.choices]
            name = next(c[0].function.name for c in calls if c and c[0].function.name)
            arguments = "".join(c[0].function.arguments or "" for c in calls if c)
        else:
            reply = await client.chat.completions.create(model="mock-1", messages=msgs, tools=tools)
            assert reply.choices[0].finish_reason == "tool_calls"
            call = reply.choices[0].message.tool_calls[0]
            name, arguments = call.function.name, call.function.arguments
    args = json.loads(arguments)
    assert name == "weather"
    assert set(args) == {"city", "days"} and isinstance(args["days"], int)


async def test_openai_tool_results_are_answered_in_text() -> None:
    tools = [{"type": "function", "function": {"name": "weather", "parameters": WEATHER}}]
    msgs = [
        {"role": "user", "content": "weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris","days":1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21 C"},
    ]
    async with Rig("openai") as client:
        reply = await client.chat.completions.create(model="mock-1", messages=msgs, tools=tools)
    assert reply.choices[0].message.tool_calls is None and reply.choices[0].message.content


async def test_openai_json_schema_output_is_an_instance_of_the_schema() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "forecast", "schema": WEATHER}}
    msgs = [{"role": "user", "content": "weather in Paris?"}]
    async with Rig("openai") as client:
        reply = await client.chat.completions.create(
            model="mock-1", messages=msgs, response_format=fmt
        )
    answer = json.loads(reply.choices[0].message.content)
    assert set(answer) == {"city", "days"} and answer["days"] >= 1


async def test_anthropic_json_schema_output_is_an_instance_of_the_schema() -> None:
    fmt = {"format": {"type": "json_schema", "schema": WEATHER}}
    msgs = [{"role": "user", "content": "weather in Paris?"}]
    async with Rig("anthropic") as client:
        reply = await client.messages.create(
            model="mock-1", max_tokens=64, messages=msgs, extra_body={"output_config": fmt}
        )
    answer = json.loads(reply.content[0].text)
    assert set(answer) == {"city", "days"} and answer["days"] >= 1


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_tool_use_round_trips(stream: bool) -> None:
    tools = [{"name": "weather", "description": "forecast", "input_schema": WEATHER}]
    msgs = [{"role": "user", "content": "weather in Paris?"}]
    async with Rig("anthropic") as client:
        if stream:
            events = await client.messages.create(
                model="mock-1", max_tokens=64, messages=msgs, tools=tools, stream=True
            )
            seen = [e async for e in events]
            name = next(e.content_block.name for e in seen if e.type == "content_block_start")
            text = "".join(e.delta.partial_json for e in seen if e.type == "content_block_delta")
            args = json.loads(text)
        else:
            reply = await client.messages.create(
                model="mock-1", max_tokens=64, messages=msgs, tools=tools, system="Be brief."
            )
            assert reply.stop_reason == "tool_use"
            use = reply.content[0]
            name, args = use.name, use.input
    assert name == "weather" and set(args) == {"city", "days"}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_image_parts_and_sampling_params_reach_the_provider_as_sent(kind: str) -> None:
    if kind == "openai":
        image: dict[str, Any] = {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{IMAGE}"},
        }
    else:
        image = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": IMAGE},
        }
    content = [{"type": "text", "text": "what is in this picture?"}, image]
    msgs = [{"role": "user", "content": content}]
    rig = Rig(kind)
    sent: list[dict[str, Any]] = []
    inner = rig.mock.send

    async def spy(request: Any) -> Any:
        sent.append(json.loads(request.body))
        return await inner(request)

    rig.mock.send = spy  # type: ignore[method-assign]
    sampling = {"temperature": 0.2, "top_p": 0.9}
    async with rig as client:
        if kind == "openai":
            reply = await client.chat.completions.create(
                model="mock-1", messages=msgs, seed=7, stop=["END"], **sampling
            )
            assert reply.choices[0].message.content
        else:
            reply = await client.messages.create(
                model="mock-1",
                max_tokens=64,
                messages=msgs,
                stop_sequences=["END"],
                extra_body=sampling,  # this SDK release has no sampling keywords
            )
            assert reply.content[0].text
    assert sent[0]["messages"][0]["content"][1] == image
    assert sent[0]["temperature"] == 0.2 and sent[0]["top_p"] == 0.9
    assert [e.model_requested for e in rig.recorder.events if isinstance(e, ModelCall)] == [
        "mock-1"
    ]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_tool_definition_the_provider_refuses_is_a_bad_request(kind: str) -> None:
    msgs = [{"role": "user", "content": "hi"}]
    rig = Rig(kind)
    async with rig as client:
        if kind == "openai":
            bad = [
                {"type": "function", "function": {"name": "get weather!", "parameters": WEATHER}}
            ]
            with pytest.raises(openai.BadRequestError, match="must match"):
                await client.chat.completions.create(model="mock-1", messages=msgs, tools=bad)
        else:
            bad_a = [{"name": "weather", "input_schema": {"type": "string"}}]
            with pytest.raises(anthropic.BadRequestError, match="input_schema"):
                await client.messages.create(
                    model="mock-1", max_tokens=8, messages=msgs, tools=bad_a
                )
    # refused before the call: no limiter spent, no upstream attempt
    assert rig.mock.app.snapshot(rig.clock.now())["requests"] == 0


async def test_structured_answers_are_validated_against_the_features_json_schema() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "forecast", "schema": WEATHER}}
    msgs = [{"role": "user", "content": "weather in Paris?"}]
    fallback = {"strategy": "default", "value": "{}"}
    checked = {"validation": {"json_schema": WEATHER}, "fallback": fallback}
    async with Rig("openai", **checked) as client:
        good = await client.chat.completions.with_raw_response.create(
            model="mock-1", messages=msgs, response_format=fmt
        )
        # without response_format the mock answers prose: not JSON of the schema
        bad = await client.chat.completions.with_raw_response.create(model="mock-1", messages=msgs)
    assert good.headers[OUTCOME_HEADER] == "ok"
    assert set(json.loads(good.parse().choices[0].message.content)) == {"city", "days"}
    assert bad.headers[OUTCOME_HEADER] == "degraded:default"
    assert bad.parse().choices[0].message.content == "{}"


def test_a_validation_schema_that_is_not_a_json_schema_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="valid JSON Schema"):
        config_from_dict({"features": {"f": {"validation": {"json_schema": {"type": 7}}}}})


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
async def test_engine_calls_pass_tools_and_keep_the_tool_calls(kind: str, stream: bool) -> None:
    if kind == "openai":
        tools: list[Any] = [
            {"type": "function", "function": {"name": "weather", "parameters": WEATHER}}
        ]
    else:
        tools = [{"name": "weather", "input_schema": WEATHER}]
    rig = Rig(kind)
    async with rig:
        result = await rig.engine.call(
            [{"role": "user", "content": "weather in Paris?"}],
            feature="f",
            stream=stream,
            options={"tools": tools, "top_p": 0.5},
        )
    assert result.ok and result.response is not None
    (call,) = result.response.tool_calls
    assert call.name == "weather" and set(json.loads(call.arguments)) == {"city", "days"}


async def test_the_call_finished_event_names_the_tools_the_model_asked_for() -> None:
    from llmops.engine.events import CallFinished

    tools = [{"type": "function", "function": {"name": "weather", "parameters": WEATHER}}]
    rig = Rig("openai")
    async with rig as client:
        await client.chat.completions.create(
            model="mock-1", messages=[{"role": "user", "content": "weather?"}], tools=tools
        )
    finished = [e for e in rig.recorder.events if isinstance(e, CallFinished)]
    assert [e.tool_calls for e in finished] == [("weather",)]
    assert finished[0].as_log()["llmops.tool_calls"] == ["weather"]
