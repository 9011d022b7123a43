"""The engine's runtime state for one engine: in this process, or shared through Redis.

:func:`open_runtime_state` reads ``state:`` and gives the engine a factory of one
:class:`~llmops.stores.limits.Limiter` and one :class:`~llmops.stores.breaker_state.Breaker` per
upstream. ``isolate=True`` (load tests and drills unless told otherwise) keeps everything in
process whatever the config says, so synthetic traffic never spends the fleet's budget or opens
its breaker. With ``backend: redis`` the server is reached once at start: an unreachable or
wrong ``state.url`` is a :class:`~llmops.errors.ConfigError` naming the key and the URL without
its password. After that, :class:`StateLink` notes when Redis stops answering, and the stores
fall back as ``on_state_error`` says until it answers again.
"""

from __future__ import annotations

from collections.abc import Callable

from llmops.config import BreakerConfig, LimitsConfig, StateConfig
from llmops.errors import ConfigError
from llmops.redact import redact_urls
from llmops.stores.breaker_state import Breaker, LocalBreaker
from llmops.stores.limits import Limiter, LocalLimiter
from llmops.stores.redis_link import COMMAND_TIMEOUT_S, StateLink

__all__ = ["RuntimeState", "SharedRuntimeState", "open_runtime_state"]


class RuntimeState:
    """Limiters and breakers kept in this process (``state.backend: memory`` or isolated)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def limiter(self, upstream: str, limits: LimitsConfig) -> Limiter:
        """The limiter of one upstream."""
        return LocalLimiter(limits, self._now)

    def breaker(self, upstream: str, cfg: BreakerConfig, probe_lease_s: float) -> Breaker:
        """The breaker of one upstream; a probe unanswered after ``probe_lease_s`` is lost."""
        return LocalBreaker(cfg, self._now)

    async def aclose(self) -> None:
        """Release connections (nothing in process)."""


class SharedRuntimeState(RuntimeState):
    """Limiters and breakers shared through Redis (``state.backend: redis``)."""

    def __init__(self, state: StateConfig, link: StateLink, now: Callable[[], float]) -> None:
        super().__init__(now)
        from llmops.stores.redis_breaker import BREAKER_LUA
        from llmops.stores.redis_limiter import LIMITER_LUA

        self._state = state
        self.link = link
        self._limiter_lua = link.client.register_script(LIMITER_LUA)
        self._breaker_lua = link.client.register_script(BREAKER_LUA)

    def _key(self, concern: str, upstream: str) -> str:
        from llmops.stores.redis_conn import state_key

        return state_key(self._state.key_prefix, concern, upstream)

    def limiter(self, upstream: str, limits: LimitsConfig) -> Limiter:
        from llmops.stores.redis_limiter import RedisLimiter

        return RedisLimiter(
            self.link,
            self._limiter_lua,
            self._key("limiter", upstream),
            limits,
            self._now,
            instances=self._state.instances,
            on_state_error=self._state.on_state_error,
        )

    def breaker(self, upstream: str, cfg: BreakerConfig, probe_lease_s: float) -> Breaker:
        from llmops.stores.redis_breaker import RedisBreaker

        return RedisBreaker(
            self.link,
            self._breaker_lua,
            self._key("breaker", upstream),
            cfg,
            self._now,
            probe_lease_s=probe_lease_s,
        )

    async def aclose(self) -> None:
        await self.link.client.aclose()


async def open_runtime_state(
    state: StateConfig, now: Callable[[], float], *, isolate: bool = False
) -> RuntimeState:
    """The runtime state ``state`` names (in process when ``isolate``); Redis is checked once."""
    if isolate or state.backend == "memory" or state.url is None:
        return RuntimeState(now)
    from redis.exceptions import RedisError

    from llmops.stores.redis_conn import redis_client

    client = redis_client(state.url)
    # a Redis that stops answering must not hold a call longer than this
    client.connection_pool.connection_kwargs.update(
        socket_timeout=COMMAND_TIMEOUT_S, socket_connect_timeout=COMMAND_TIMEOUT_S
    )
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        reason = redact_urls(str(exc) or type(exc).__name__)
        raise ConfigError(
            f"state.url: cannot use Redis at {redact_urls(state.url)}: {reason}"
        ) from None
    return SharedRuntimeState(state, StateLink(client, state.url, now), now)
