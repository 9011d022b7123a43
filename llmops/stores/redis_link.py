"""One Redis as the shared stores see it: answering or not, and when to try it again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from llmops.redact import redact_urls

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["COMMAND_TIMEOUT_S", "RETRY_S", "StateLink"]

#: seconds between attempts to reach a Redis that stopped answering
RETRY_S = 1.0
#: seconds a single Redis command may take before Redis counts as unreachable
COMMAND_TIMEOUT_S = 1.0


class StateLink:
    """One Redis as the stores see it: answering or not, and when to try it again."""

    def __init__(self, client: Redis, url: str, now: Callable[[], float]) -> None:
        self.client = client
        self.url = redact_urls(url)
        self._now = now
        self._down_at = 0.0
        #: seconds between attempts while Redis is unreachable
        self.retry_s = RETRY_S
        self.down = False
        self.last_error = ""

    def describe(self) -> str:
        return f"shared state at {self.url} unreachable ({self.last_error})"

    def retry_in(self) -> float:
        """Seconds until Redis is tried again (at least a little, never zero)."""
        return max(0.05, self._down_at + self.retry_s - self._now())

    async def run(self, script: AsyncScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """The script's reply, or ``None`` while Redis is unreachable."""
        from redis.exceptions import ConnectionError, RedisError

        if self.down and self._now() < self._down_at + self.retry_s:
            return None
        try:
            try:
                reply = await script(keys=keys, args=args)
            except ConnectionError:
                # a pooled connection left over from before a restart fails once: try a fresh one
                reply = await script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            self.down = True
            self.last_error = redact_urls(str(exc) or type(exc).__name__)
            self._down_at = self._now()
            return None
        self.down = False
        return reply
