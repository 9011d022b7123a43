"""API keys never reach a repr or an exception message."""

from __future__ import annotations

import pytest

from llmops.engine.clock import VirtualClock
from llmops.errors import StreamError
from llmops.providers import AnthropicProvider, OpenAIProvider
from llmops.providers.base import HTTPProvider
from llmops.types import LLMRequest

from .conftest import sse_transport

KEY = "sk-SECRET-0123456789"


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> HTTPProvider:
    if request.param == "openai":
        return OpenAIProvider("http://127.0.0.1:8000/v1", KEY)
    return AnthropicProvider("http://127.0.0.1:8000", KEY)


def test_repr_hides_key(provider: HTTPProvider) -> None:
    assert KEY not in repr(provider)


def test_repr_hides_credentials_in_base_url() -> None:
    assert "hunter2" not in repr(OpenAIProvider("http://user:hunter2@127.0.0.1/v1", None))


def test_error_message_redacts_key_echoed_by_server(provider: HTTPProvider) -> None:
    body = (
        b'{"error": {"type": "authentication_error", "message": "bad key ' + KEY.encode() + b'"}}'
    )
    error = provider.error_from(401, {}, body)
    assert KEY not in str(error)


@pytest.mark.anyio
async def test_stream_error_event_redacts_key() -> None:
    clock = VirtualClock()
    chunk = b'data: {"error": {"message": "key ' + KEY.encode() + b' revoked"}}\n\n'
    req = LLMRequest(model="m", messages=[])
    provider = OpenAIProvider("http://127.0.0.1:8000/v1", KEY)
    with pytest.raises(StreamError) as info:
        await provider.stream(sse_transport(clock, [(0.0, chunk)]), req, clock=clock)
    assert KEY not in str(info.value)
