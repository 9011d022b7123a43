"""Engine overhead and throughput, side by side in one run.

1. Per-call overhead of the whole reliability chain (normalise, gate, breaker, limiter, attempt
   loop with deadlines, events off) over a bare provider call, both on an instant in-memory
   transport. Target: under 50 µs median.
2. Requests/s through the engine at 100 concurrency against the loopback mock server (its own
   process, zero-latency profile), beside a bare aiohttp client posting the same request in the
   same run. Target: at least 50% of the bare client's rate.

Usage: python benchmarks/engine_overhead.py [--runs 5] [--calls 20000] [--seconds 5]
Writes benchmarks/results/engine_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from llmops import Engine, config_from_dict
from llmops.engine.clock import AnyioClock
from llmops.engine.transport import HttpRequest, HttpResponse, StreamResponse
from llmops.providers.openai import OpenAIProvider
from llmops.types import LLMRequest

RESULTS = Path(__file__).parent / "results" / "engine_overhead.json"
MESSAGES = [{"role": "user", "content": "Classify this support ticket: I want a refund."}]
BODY = orjson.dumps(
    {
        "id": "x",
        "object": "chat.completion",
        "model": "mock-1-2026-01",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "billing"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
)


class InstantTransport:
    """Answers every request at once from memory: isolates the engine's own cost."""

    async def send(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {"content-type": "application/json"}, BODY)

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[StreamResponse]:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def config(base_url: str) -> Any:
    return config_from_dict(
        {
            "providers": {"p": {"kind": "openai", "base_url": base_url, "model": "mock-1"}},
            "limits": {"max_concurrency": 100, "queue_limit": 10_000},
        }
    )


async def per_call_us(calls: int) -> tuple[float, float]:
    """(bare provider call, engine call) in microseconds per call, one timed loop each."""
    transport = InstantTransport()
    provider = OpenAIProvider("http://127.0.0.1:1/v1", None)
    clock = AnyioClock()
    request = LLMRequest(model="mock-1", messages=MESSAGES, max_tokens=16)
    t0 = time.perf_counter()
    for _ in range(calls):
        await provider.send(transport, request, clock=clock)
    bare = (time.perf_counter() - t0) / calls * 1e6
    async with Engine(config("http://127.0.0.1:1/v1"), transport=transport) as engine:
        t0 = time.perf_counter()
        for _ in range(calls):
            await engine.call(MESSAGES, max_tokens=16)
        through = (time.perf_counter() - t0) / calls * 1e6
    return bare, through


async def closed_loop(worker: Any, concurrency: int, seconds: float) -> float:
    """Requests/s completed by ``concurrency`` workers looping for ``seconds``."""
    done = 0
    stop = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await worker()
            done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return done / (time.perf_counter() - t0)


async def bare_rps(base_url: str, concurrency: int, seconds: float) -> float:
    url = f"{base_url}/chat/completions"
    payload = orjson.dumps({"model": "mock-1", "messages": MESSAGES, "max_tokens": 16})
    headers = {"content-type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one() -> None:
            async with session.post(url, data=payload, headers=headers) as resp:
                orjson.loads(await resp.read())

        await closed_loop(one, concurrency, 0.5)  # warm the connections
        return await closed_loop(one, concurrency, seconds)


async def engine_rps(base_url: str, concurrency: int, seconds: float) -> float:
    async with Engine(config(base_url)) as engine:

        async def one() -> None:
            await engine.call(MESSAGES, max_tokens=16)

        await closed_loop(one, concurrency, 0.5)
        return await closed_loop(one, concurrency, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    from llmops.mock import spawn_mock_server

    overhead: list[float] = []
    bare_call: list[float] = []
    engine_call: list[float] = []
    for _ in range(args.runs):
        bare, through = asyncio.run(per_call_us(args.calls))
        bare_call.append(bare)
        engine_call.append(through)
        overhead.append(through - bare)

    bare_rates: list[float] = []
    engine_rates: list[float] = []
    with spawn_mock_server("instant") as url:
        base = f"{url}/v1"
        for _ in range(args.runs):  # interleaved, so drift hits both alike
            bare_rates.append(asyncio.run(bare_rps(base, args.concurrency, args.seconds)))
            engine_rates.append(asyncio.run(engine_rps(base, args.concurrency, args.seconds)))

    med = statistics.median
    result = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "runs": args.runs,
        "per_call_us": {
            "bare_provider_median": round(med(bare_call), 2),
            "engine_median": round(med(engine_call), 2),
            "overhead_median": round(med(overhead), 2),
            "overhead_runs": [round(x, 2) for x in overhead],
            "target_overhead_us": 50,
        },
        "throughput_rps": {
            "concurrency": args.concurrency,
            "bare_aiohttp_median": round(med(bare_rates)),
            "engine_median": round(med(engine_rates)),
            "ratio_median": round(
                med(e / b for e, b in zip(engine_rates, bare_rates, strict=True)), 3
            ),
            "bare_runs": [round(x) for x in bare_rates],
            "engine_runs": [round(x) for x in engine_rates],
            "target_ratio": 0.5,
        },
    }
    print(
        f"per-call overhead (median of {args.runs}): {result['per_call_us']['overhead_median']} µs"
        f"  [bare {result['per_call_us']['bare_provider_median']} µs, engine "
        f"{result['per_call_us']['engine_median']} µs]  target < 50 µs"
    )
    t = result["throughput_rps"]
    print(
        f"req/s at {args.concurrency} concurrency vs loopback mock: engine {t['engine_median']}, "
        f"bare aiohttp {t['bare_aiohttp_median']}, ratio {t['ratio_median']}  target >= 0.5"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
