"""Engine.call takes content parts (text and images) in either SDK's form and sends each
provider its own: a round trip through both wire formats against the in-process mock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops import Engine, EventRecorder, config_from_dict
from llmops.core.textprofile import IMAGE_TOKENS, content_tokens, estimate_tokens
from llmops.engine.clock import AnyioClock
from llmops.engine.events import CallFinished
from llmops.mock import MockTransport

pytestmark = pytest.mark.anyio

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
TEXT = {"type": "text", "text": "I was charged twice, see the receipt"}
OPENAI_IMAGE = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
ANTHROPIC_IMAGE = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
}
IMAGES = {"openai": OPENAI_IMAGE, "anthropic": ANTHROPIC_IMAGE}


@pytest.fixture
def anyio_backend() -> tuple[str, dict[str, Any]]:
    from trio.testing import MockClock

    return ("trio", {"clock": MockClock(autojump_threshold=0)})


class ContentRecorder(EventRecorder):
    """A recorder that opts into message content (as OpenTelemetry's content capture does)."""

    wants_content = True


@pytest.mark.parametrize("given", ["openai", "anthropic"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_image_parts_reach_each_provider_in_its_own_form(kind: str, given: str) -> None:
    clock = AnyioClock()
    mock = MockTransport("default", clock=clock)  # its canned answers read the text
    faults = mock.app.profile.faults.model_copy(update={"error_rates": {}})
    mock.app.set_profile(mock.app.profile.model_copy(update={"faults": faults}), 0.0)
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
            "features": {"f": {"system_prompt": "Classify the ticket."}},
        }
    )
    recorder = ContentRecorder()
    messages = [{"role": "user", "content": [TEXT, IMAGES[given]]}]
    async with Engine(cfg, transport=mock, clock=clock, observers=[recorder]) as engine:
        result = await engine.call(messages, feature="f")
    assert result.ok and result.text == "billing"  # the mock read the text part
    body = sent[0]
    user = body["messages"][-1]
    assert user["content"] == [TEXT, IMAGES[kind]]  # converted to the provider's form
    if kind == "anthropic":
        assert body["system"] == "Classify the ticket."
    (done,) = [e for e in recorder.events if isinstance(e, CallFinished)]
    assert done.input_messages is not None
    assert done.input_messages[-1]["content"][1] == IMAGES[given]  # as the caller gave it


def test_an_image_counts_for_more_than_its_words_in_the_token_estimate() -> None:
    assert content_tokens("hello there") == estimate_tokens("hello there")
    both = content_tokens([TEXT, OPENAI_IMAGE, ANTHROPIC_IMAGE])
    assert both == estimate_tokens(TEXT["text"]) + 2 * IMAGE_TOKENS
