"""One circuit breaker for a whole fleet, kept in Redis and moved by one Lua script.

The state (closed, open until a time, half-open with its probes), the failure-rate window (ten
time buckets in the same hash) and every transition live in Redis and change only inside
:data:`BREAKER_LUA`, on the server's clock: one instance's failures open the breaker for all,
the half-open state lets ``half_open_probes`` probes through in the whole fleet (each held on a
lease, so a probe whose instance died is given again), and a forced open or close reaches every
instance. Each change of state starts a new ``epoch``: an outcome from an older epoch is not a
probe's outcome.

While Redis is unreachable each instance falls back to a breaker of its own and tries Redis
again every :data:`~llmops.stores.redis_link.RETRY_S` seconds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from llmops.config import BreakerConfig
from llmops.core.breaker import BreakerState, Transition
from llmops.stores.breaker_state import LocalBreaker, Permit

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from llmops.stores.redis_link import StateLink

__all__ = ["BREAKER_LUA", "RedisBreaker"]

#: KEYS[1] the breaker's hash. ARGV: op, threshold, window s, minimum calls, open s, probes,
#: probe lease s, a, b, c. Returns {allowed, retry_after, probe, epoch, state, old, reason}.
BREAKER_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local op = ARGV[1]
local thr, win, minc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local open_s, probes, lease = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local a, b, c = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local k = KEYS[1]
local h = redis.call('HMGET', k, 'st', 'until', 'pout', 'pok', 'plet', 'ep')
local st, untl = h[1] or 'closed', tonumber(h[2]) or 0
local pout, pok, plet, ep = tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
local old, reason = st, ''
local function move(new, why)
  if new ~= st then old, reason = st, why end
  st, ep, pout, pok = new, ep + 1, 0, 0
end
local width = win / 10
local idx = math.floor(now / width)
local function clear_window()
  for i = 0, 9 do redis.call('HDEL', k, 'i' .. i, 'c' .. i, 'f' .. i) end
end
local function open_for(hold, why)
  move('open', why)
  untl = now + hold
end
if st == 'open' and now >= untl then move('half_open', 'open time elapsed') end
if st == 'half_open' and pout > 0 and now > plet then pout = 0 end
local allowed, probe = 0, 0
if op == 'allow' then
  if st == 'closed' then
    allowed = 1
  elseif st == 'half_open' and pout < probes then
    allowed, probe, pout, plet = 1, 1, pout + 1, now + lease
  end
elseif op == 'record' then
  if st == 'closed' then
    local s = idx % 10
    if tonumber(redis.call('HGET', k, 'i' .. s) or -1) ~= idx then
      redis.call('HSET', k, 'i' .. s, idx, 'c' .. s, 0, 'f' .. s, 0)
    end
    redis.call('HINCRBY', k, 'c' .. s, 1)
    if a == 1 then redis.call('HINCRBY', k, 'f' .. s, 1) end
    local calls, fails = 0, 0
    for i = 0, 9 do
      local w = redis.call('HMGET', k, 'i' .. i, 'c' .. i, 'f' .. i)
      if w[1] and tonumber(w[1]) > idx - 10 then
        calls, fails = calls + tonumber(w[2]), fails + tonumber(w[3])
      end
    end
    if calls >= minc and fails / calls >= thr then
      open_for(open_s, string.format('failure rate %.2f >= %.2f over %d calls', fails / calls, thr, calls))
      clear_window()
    end
  elseif st == 'half_open' and b == 1 and c == ep and pout > 0 then
    pout = pout - 1
    if a == 1 then
      open_for(open_s, 'probe failed')
    else
      pok = pok + 1
      if pok >= probes then
        local n = pok
        move('closed', n .. ' probes succeeded')
        clear_window()
      end
    end
  end
elseif op == 'release' then
  if st == 'half_open' and a == 1 and b == ep and pout > 0 then pout = pout - 1 end
elseif op == 'force_open' then
  open_for(a < 0 and 1e18 or a, 'forced open')
elseif op == 'force_close' then
  move('closed', 'forced close')
  untl = 0
  clear_window()
end
redis.call('HSET', k, 'st', st, 'until', string.format('%.17g', untl), 'pout', pout,
  'pok', pok, 'plet', string.format('%.17g', plet), 'ep', ep)
local retry = 0
if st == 'open' then retry = math.max(0, untl - now) end
return {allowed, string.format('%.17g', retry), probe, ep, st, old, reason}
"""

_FOREVER = 1e15  # a retry_after this long is a breaker forced open until closed


class RedisBreaker:
    """The fleet's breaker for one upstream (see the module docstring)."""

    #: every instance of the service sees (and is governed by) this breaker
    shared = True

    def __init__(
        self,
        link: StateLink,
        script: AsyncScript,
        key: str,
        cfg: BreakerConfig,
        now: Callable[[], float],
        *,
        probe_lease_s: float,
    ) -> None:
        self._link = link
        self._script = script
        self._key = key
        self._slow_s = cfg.slow_call_s
        self._args: list[object] = [
            cfg.failure_rate_threshold,
            cfg.window_s,
            cfg.minimum_calls,
            cfg.open_s,
            cfg.half_open_probes,
            probe_lease_s,
        ]
        self._local = LocalBreaker(cfg, now)
        self._state = BreakerState.CLOSED
        self._transitions: list[Transition] = []
        self._pending: asyncio.Future[None] | None = None

    async def _run(self, op: str, a: object = 0, b: object = 0, c: object = 0) -> Permit | None:
        if self._pending is not None:  # a forced change goes first
            pending, self._pending = self._pending, None
            await pending
        return await self._call(op, a, b, c)

    async def _call(self, op: str, a: object = 0, b: object = 0, c: object = 0) -> Permit | None:
        res = await self._link.run(self._script, [self._key], [op, *self._args, a, b, c])
        if res is None:
            return None
        allowed, retry, probe, epoch, state, old, reason = res
        self._state = BreakerState(state.decode())
        if reason:
            self._transitions.append((BreakerState(old.decode()), self._state, reason.decode()))
        wait = float(retry)
        return Permit(
            bool(allowed),
            retry_after=math.inf if wait >= _FOREVER else wait,
            probe=bool(probe),
            epoch=int(epoch),
        )

    async def allow(self) -> Permit:
        permit = await self._run("allow")
        return permit if permit is not None else await self._local.allow()

    async def record(self, permit: Permit, ok: bool, duration_s: float) -> None:
        failed = not ok or (self._slow_s is not None and duration_s > self._slow_s)
        if await self._run("record", int(failed), int(permit.probe), permit.epoch) is None:
            await self._local.record(permit, ok, duration_s)

    async def release(self, permit: Permit) -> None:
        if await self._run("release", int(permit.probe), permit.epoch) is None:
            await self._local.release(permit)

    def _send(self, op: str, a: object = 0) -> Awaitable[None]:
        before = self._pending

        async def send() -> None:
            if before is not None:
                await before
            await self._call(op, a)

        self._pending = asyncio.ensure_future(send())
        return self._pending

    def force_open(self, hold_s: float | None = None) -> Awaitable[None]:
        self._local.force_open(hold_s)
        self._state = BreakerState.OPEN
        return self._send("force_open", -1 if hold_s is None else hold_s)

    def force_close(self) -> Awaitable[None]:
        self._local.force_close()
        self._state = BreakerState.CLOSED
        return self._send("force_close")

    def known_state(self) -> BreakerState:
        return self._local.known_state() if self._link.down else self._state

    def drain_transitions(self) -> list[Transition]:
        drained, self._transitions = self._transitions, []
        local = self._local.drain_transitions()  # the fallback's own, only while it decides
        return drained + local if self._link.down else drained
