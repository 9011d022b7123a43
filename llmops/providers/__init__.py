"""Provider adapters: OpenAI-compatible chat completions and Anthropic Messages."""

from __future__ import annotations

from llmops.providers.anthropic import AnthropicProvider
from llmops.providers.base import ChunkCallback, HTTPProvider, Provider, StreamState
from llmops.providers.headers import parse_duration, parse_retry_after
from llmops.providers.openai import OpenAIProvider
from llmops.providers.registry import PROVIDER_KINDS, make_provider
from llmops.providers.sse import SSEEvent, SSEParser

__all__ = [
    "PROVIDER_KINDS",
    "AnthropicProvider",
    "ChunkCallback",
    "HTTPProvider",
    "OpenAIProvider",
    "Provider",
    "SSEEvent",
    "SSEParser",
    "StreamState",
    "make_provider",
    "parse_duration",
    "parse_retry_after",
]
