"""One rate limit for a whole fleet: RPM and TPM buckets in Redis, admitted by one Lua script.

Every admission is one ``EVALSHA`` of :data:`LIMITER_LUA` (loaded once; redis-py reloads it after
a server restart): the script reads the server's clock (``TIME``, never the instances' clocks),
refills both buckets continuously, and takes one request and the token reservation only if both
have room and no ``Retry-After`` pause is in force — otherwise it takes nothing and says how long
to wait. The same script corrects reservations with the usage reported, records a pause every
instance sees, and clamps to the provider's rate-limit headers. The buckets are shaped by
:func:`~llmops.core.ratelimit.bucket_shape`, as in process.

While Redis is unreachable, ``state.on_state_error`` decides: ``fail_closed`` admits nothing,
``local_share`` admits through a local limiter holding ``1 / state.instances`` of each limit.
Redis is tried again every :data:`~llmops.stores.redis_link.RETRY_S` seconds; when it answers,
the shared limit is back by itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from llmops.config import LimitsConfig
from llmops.core.ratelimit import bucket_shape
from llmops.stores.limits import LocalLimiter
from llmops.types import RateLimitInfo

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from llmops.stores.redis_link import StateLink

__all__ = ["LIMITER_LUA", "RedisLimiter"]

#: KEYS[1] the limit's hash; ARGV: op, requests capacity, requests/s, tokens capacity, tokens/s,
#: a, b (a capacity of 0 means no such limit). Returns {wait seconds, server time} as strings.
LIMITER_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local op = ARGV[1]
local rcap, rrate = tonumber(ARGV[2]), tonumber(ARGV[3])
local tcap, trate = tonumber(ARGV[4]), tonumber(ARGV[5])
local a, b = tonumber(ARGV[6]), tonumber(ARGV[7])
local h = redis.call('HMGET', KEYS[1], 'r', 't', 'at', 'pause')
local r = math.min(rcap, tonumber(h[1]) or rcap)
local tk = math.min(tcap, tonumber(h[2]) or tcap)
local at = tonumber(h[3]) or now
local pause = tonumber(h[4]) or 0
if now > at then
  r = math.min(rcap, r + (now - at) * rrate)
  tk = math.min(tcap, tk + (now - at) * trate)
  at = now
end
local wait = 0
if op == 'acquire' then
  wait = math.max(0, pause - now)
  if rcap > 0 and r < 1 - 1e-9 then wait = math.max(wait, (1 - r) / rrate) end
  local need = math.min(a, tcap)
  if tcap > 0 and tk < need - 1e-9 then wait = math.max(wait, (need - tk) / trate) end
  if wait <= 0 then
    r = r - 1
    tk = tk - a
  end
elseif op == 'adjust' then
  r = math.min(rcap, r + a)
  tk = math.min(tcap, tk + b)
elseif op == 'pause' then
  pause = math.max(pause, now + a)
elseif op == 'clamp' then
  if a and a < r then r = a end
  if b and b < tk then tk = b end
end
local f = '%.17g'
redis.call('HSET', KEYS[1], 'r', string.format(f, r), 't', string.format(f, tk),
  'at', string.format(f, at), 'pause', string.format(f, pause))
redis.call('PEXPIRE', KEYS[1], math.floor(math.max(0, pause - now) * 1000) + 120000)
return {string.format(f, wait), string.format(f, now)}
"""

_NONE = "-"  # an argument the script reads as nil (no such header)


class RedisLimiter:
    """The fleet's limiter for one upstream (see the module docstring)."""

    def __init__(
        self,
        link: StateLink,
        script: AsyncScript,
        key: str,
        limits: LimitsConfig,
        now: Callable[[], float],
        *,
        instances: int,
        on_state_error: Literal["fail_closed", "local_share"],
    ) -> None:
        self._link = link
        self._script = script
        self._key = key
        self._limits = limits
        self._rpm = limits.requests_per_minute
        self._tpm = limits.tokens_per_minute
        self._on_error = on_state_error
        self._local = LocalLimiter(limits, now, share=1.0 / instances)
        self._args = self._shape()
        self.waiting_on = "rate limit"
        #: server time (s) of the last admission, for measuring the fleet's admissions
        self.last_admitted_at = math.nan

    def _shape(self) -> list[str]:
        burst, headroom = self._limits.burst, self._limits.headroom
        r = bucket_shape(self._rpm, burst) if self._rpm else (0.0, 0.0)
        t = bucket_shape(self._tpm, burst, headroom) if self._tpm else (0.0, 0.0)
        return [repr(r[0]), repr(r[1]), repr(t[0]), repr(t[1])]

    async def _run(self, op: str, a: object, b: object) -> tuple[float, float] | None:
        res = await self._link.run(self._script, [self._key], [op, *self._args, a, b])
        if res is None:
            return None
        return float(res[0]), float(res[1])

    async def acquire(self, tokens: int) -> float:
        res = await self._run("acquire", tokens, 0)
        if res is None:
            if self._on_error == "fail_closed":
                self.waiting_on = f"{self._link.describe()} (state.on_state_error: fail_closed)"
                return self._link.retry_in()
            self.waiting_on = "local share of the rate limit"
            return await self._local.acquire(tokens)
        self.waiting_on = "rate limit"
        wait, server_now = res
        if wait <= 0:
            self.last_admitted_at = server_now
        return wait

    async def reconcile(self, reserved: int, actual: int) -> None:
        if reserved == actual or not self._tpm:
            return
        if await self._run("adjust", 0, reserved - actual) is None:
            await self._local.reconcile(reserved, actual)

    async def release(self, tokens: int) -> None:
        if await self._run("adjust", 1, tokens) is None:
            await self._local.release(tokens)

    async def pause(self, seconds: float) -> None:
        await self._local.pause(seconds)
        await self._run("pause", seconds, 0)

    async def observe(self, info: RateLimitInfo) -> None:
        await self._local.observe(info)
        if (info.requests_limit and not self._rpm) or (info.tokens_limit and not self._tpm):
            self._rpm = self._rpm or info.requests_limit
            self._tpm = self._tpm or info.tokens_limit
            self._args = self._shape()
        r_left, t_left = info.requests_remaining, info.tokens_remaining
        if r_left is None and t_left is None:
            return
        reserve = self._limits.headroom * (self._tpm or 0.0)
        await self._run(
            "clamp",
            _NONE if r_left is None else r_left,
            _NONE if t_left is None else t_left - reserve,
        )
