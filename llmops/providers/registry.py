"""Make a provider adapter from its configured kind."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

from llmops.errors import ConfigError
from llmops.providers.anthropic import AnthropicProvider
from llmops.providers.base import Provider
from llmops.providers.openai import OpenAIProvider

__all__ = ["PROVIDER_KINDS", "make_provider"]

#: the provider kinds a configuration may name
PROVIDER_KINDS = ("anthropic", "openai")


def make_provider(
    kind: str,
    base_url: str,
    api_key: str | None,
    *,
    default_headers: Mapping[str, str] | None = None,
    wall_clock: Callable[[], float] | None = None,
) -> Provider:
    """The adapter for ``kind`` (``"openai"`` — any OpenAI-compatible API — or ``"anthropic"``).

    ``wall_clock`` (Unix seconds) dates what the provider's headers say (the caller's clock's
    ``wall``; the system's by default). Raises :class:`~llmops.errors.ConfigError` for an
    unknown kind, suggesting the closest one.
    """
    if kind == "openai":
        return OpenAIProvider(
            base_url, api_key, default_headers=default_headers, wall_clock=wall_clock
        )
    if kind == "anthropic":
        return AnthropicProvider(
            base_url, api_key, default_headers=default_headers, wall_clock=wall_clock
        )
    message = f"unknown provider kind {kind!r}: expected one of {', '.join(PROVIDER_KINDS)}"
    close = difflib.get_close_matches(kind.lower(), PROVIDER_KINDS, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    raise ConfigError(message)
