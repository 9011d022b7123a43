"""The one way to reach the shared Redis of ``state: {backend: redis}``: client and key names.

Every Redis-backed store takes its client from :func:`redis_client` and names its keys with
:func:`state_key`, so a fleet's keys share one prefix and each concern's keys one hash tag (Redis
Cluster then keeps the keys a script touches in one slot). The ``redis`` package is the
``[redis]`` extra; without it the error says how to install it. URLs in errors are redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops.errors import ConfigError
from llmops.redact import redact_urls

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["redis_client", "state_key"]


def redis_client(url: str, *, where: str = "state.url") -> Redis:
    """An asyncio Redis client for ``url`` (not yet connected: the first command connects)."""
    try:
        from redis.asyncio import Redis
    except ImportError:
        raise ConfigError(
            f"{where}: Redis state needs the redis package: pip install 'llmops-toolkit[redis]'"
        ) from None
    try:
        return Redis.from_url(url, decode_responses=False, health_check_interval=30)
    except ValueError as exc:
        raise ConfigError(f"{where}: {redact_urls(url)} is not a valid Redis URL ({exc})") from None


def state_key(prefix: str, concern: str, *parts: str) -> str:
    """``prefix:{concern}:part:…``: one hash tag per concern, e.g. ``llmops:{limiter}:openai``."""
    return ":".join((prefix, "{" + concern + "}", *parts))
