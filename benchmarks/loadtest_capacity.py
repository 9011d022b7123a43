"""The load generator's own capacity and accuracy, side by side with its peers, in one run.

Against one loopback aiohttp server (its own process, uvloop), answering OpenAI chat
completions in one of three ways:

1. ``instant``: at once. Highest requests/s at 100 concurrency.
2. ``fixed50``: after exactly 50 ms. Added latency: measured p50/p99 minus 50 ms.
3. ``stream``: SSE, first token after 100 ms, then 20 tokens 10 ms apart. TTFT and
   inter-token error with 50 concurrent streams (llmops and the bare client).

Clients, each in its own process (peak memory = its max RSS): llmops's load generator
(``--raw`` and through the engine), a bare aiohttp client, wrk (Debian package), locust
FastHttpUser and guidellm (each pip-installed into benchmarks/.peers/<name>, git-ignored).
A peer that cannot be installed or run is recorded with the reason. Figures are medians of
``--runs`` runs; CPU is shared with whatever else runs on the machine, so they are noisy.

Usage: python benchmarks/loadtest_capacity.py [--runs 3] [--seconds 5] [--skip-peers]
Writes benchmarks/results/loadtest_capacity.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
RESULTS = HERE / "results" / "loadtest_capacity.json"
BODY = (
    b'{"model":"bench","messages":[{"role":"user","content":"Say something short."}],'
    b'"max_tokens":16}'
)
ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench-1",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    }
).encode()
TTFT_S, ITL_S, TOKENS = 0.100, 0.010, 20


def _chunk(content: str | None, finish: str | None = None, usage: bool = False) -> bytes:
    obj: dict[str, Any] = {"id": "c", "object": "chat.completion.chunk", "model": "bench-1"}
    obj["choices"] = (
        [] if usage else [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]
    )
    if usage:
        obj["usage"] = {"prompt_tokens": 8, "completion_tokens": TOKENS, "total_tokens": 28}
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


# -- the server -------------------------------------------------------------------------------


def serve(mode: str) -> None:
    """Run the benchmark server (uvloop); print its port once listening."""
    import uvloop
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        if mode == "fixed50":
            await asyncio.sleep(0.05)
        if mode != "stream":
            return web.Response(body=ANSWER, content_type="application/json")
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(TOKENS):
            due = start + TTFT_S + i * ITL_S
            await asyncio.sleep(max(0.0, due - loop.time()))
            await resp.write(_chunk(f"t{i} ", "stop" if i == TOKENS - 1 else None))
        await resp.write(_chunk(None, usage=True) + b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        await asyncio.Event().wait()

    uvloop.run(main())


class Server:
    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", mode], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# -- clients (each run in a child process) -----------------------------------------------------


def _pct(xs: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")


async def _bare(url: str, conc: int, seconds: float, stream: bool) -> dict[str, Any]:
    import aiohttp

    lat: list[float] = []
    ttft: list[float] = []
    itl: list[float] = []
    now = time.perf_counter  # uvloop's loop.time() is whole milliseconds, cached per iteration
    end = now() + seconds
    headers = {"content-type": "application/json"}
    body = BODY if not stream else BODY[:-1] + b',"stream":true}'
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def worker() -> None:
            while now() < end:
                t0 = now()
                async with session.post(
                    url + "/v1/chat/completions", data=body, headers=headers
                ) as r:
                    if not stream:
                        await r.read()
                    else:
                        times = []
                        async for line in r.content:
                            if line.startswith(b"data: {") and b'"content": "' in line:
                                times.append(now() - t0)
                        ttft.append(times[0])
                        itl.extend(b - a for a, b in itertools.pairwise(times))
                lat.append(now() - t0)

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        elapsed = time.perf_counter() - t
    out = {"rps": len(lat) / elapsed, "p50_ms": _pct(lat, 50) * 1e3, "p99_ms": _pct(lat, 99) * 1e3}
    if stream:
        out |= _stream_figures(ttft, itl)
    return out


def _stream_figures(ttft: list[float], itl: list[float]) -> dict[str, float]:
    return {
        "ttft_err_p50_ms": (_pct(ttft, 50) - TTFT_S) * 1e3,
        "ttft_err_p99_ms": (_pct(ttft, 99) - TTFT_S) * 1e3,
        "itl_err_p50_ms": (_pct(itl, 50) - ITL_S) * 1e3,
        "itl_err_p99_ms": (_pct(itl, 99) - ITL_S) * 1e3,
    }


async def _llmops(url: str, conc: int, seconds: float, stream: bool, raw: bool) -> dict[str, Any]:
    from llmops.workflows.loadtest import LoadtestOptions, run_loadtest, target_from_url

    target = target_from_url(url + "/v1", "openai", "bench-1", local=True)
    options = LoadtestOptions(
        levels=(conc,), duration_s=seconds, raw=raw, stream=stream, max_tokens=16, warmup=conc
    )
    result = await run_loadtest(options, target)
    lv = result.levels[0]
    lat = lv.latency_ms or {}
    out = {"rps": lv.request_rate_rps, "p50_ms": lat.get("p50"), "p99_ms": lat.get("p99")}
    out["success_rate"] = lv.success_rate
    if stream and lv.ttft_ms and lv.itl_ms:
        out |= {
            "ttft_err_p50_ms": lv.ttft_ms["p50"] - TTFT_S * 1e3,
            "ttft_err_p99_ms": lv.ttft_ms["p99"] - TTFT_S * 1e3,
            "itl_err_p50_ms": lv.itl_ms["p50"] - ITL_S * 1e3,
            "itl_err_p99_ms": lv.itl_ms["p99"] - ITL_S * 1e3,
        }
    return out


def child(kind: str, url: str, conc: int, seconds: float, stream: bool) -> None:
    import uvloop

    if kind == "bare-aiohttp":
        out = uvloop.run(_bare(url, conc, seconds, stream))
    else:
        out = uvloop.run(_llmops(url, conc, seconds, stream, raw=kind == "llmops-raw"))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out), flush=True)


def run_child(kind: str, url: str, conc: int, seconds: float, stream: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, url, str(conc), str(seconds)]
    proc = subprocess.run(
        cmd + (["--stream"] if stream else []),
        capture_output=True,
        text=True,
        timeout=seconds * 6 + 60,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    raise RuntimeError(f"{kind} failed: {proc.stderr.strip().splitlines()[-1:]}")


# -- peers -----------------------------------------------------------------------------------


def run_wrk(url: str, conc: int, seconds: float, threads: int = 1) -> dict[str, Any]:
    """``wrk -t threads -c conc`` posting BODY: requests/s and p50/p99 in ms."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk not installed (apt-get install -y wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = '{BODY.decode()}'\n"
        )
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{max(conc, threads)}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        f.name,
        url + "/v1/chat/completions",
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(f.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
    }


def _venv(name: str, packages: list[str]) -> Path:
    env = PEERS / name
    py = env / "bin" / "python"
    if not (env / ".ok").exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
        proc = subprocess.run(
            [str(py), "-m", "pip", "install", "-q", *packages],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"pip install {' '.join(packages)} failed: {proc.stderr.strip()[-300:]}"
            )
        (env / ".ok").write_text("ok")
    return env


LOCUSTFILE = """
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
BODY = %r
class U(FastHttpUser):
    wait_time = constant(0)
    @task
    def chat(self):
        self.client.post("/v1/chat/completions", data=BODY, headers={"content-type": "application/json"})
"""


def run_locust(url: str, conc: int, seconds: float) -> dict[str, Any]:
    env = _venv("locust", ["locust"])
    with tempfile.TemporaryDirectory() as tmp:
        lf = Path(tmp) / "locustfile.py"
        lf.write_text(LOCUSTFILE % BODY)
        cmd = [str(env / "bin" / "locust"), "-f", str(lf), "--headless", "-u", str(conc), "-r", str(conc),
               "-t", f"{int(seconds)}s", "--host", url, "--csv", f"{tmp}/s", "--only-summary", "--loglevel", "ERROR"]  # fmt: skip
        subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
        import csv

        rows = list(csv.DictReader(open(f"{tmp}/s_stats.csv")))  # noqa: SIM115
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "rps": float(agg["Requests/s"]),
        "p50_ms": float(agg["50%"]),
        "p99_ms": float(agg["99%"]),
    }


def run_guidellm(url: str, conc: int, seconds: float) -> dict[str, Any]:
    env = _venv("guidellm", ["guidellm"])
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(env / "bin" / "guidellm"), "run",
               "--backend", f"kind=openai_http,target={url},model=bench-1",
               "--profile", f"kind=concurrent,streams={conc}",
               "--constraint", f"kind=max_duration,seconds={int(seconds)}",
               "--data", "kind=synthetic_text,prompt_tokens=16,output_tokens=16",
               "--output", f"kind=json,path={tmp}/out.json", "--disable-console-interactive"]  # fmt: skip
        env_vars = {**os.environ, "HF_HUB_OFFLINE": "1"}
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 300, env=env_vars
        )
        out = Path(tmp) / "out.json"
        if proc.returncode != 0 or not out.exists():
            lines = (proc.stderr + proc.stdout).strip().splitlines()
            errors = [ln for ln in lines if "Error" in ln] or lines[-1:] or ["no output"]
            raise RuntimeError(f"guidellm run failed: {errors[-1].strip()[:300]}")
        data = json.loads(out.read_text())
    # the JSON layout differs between guidellm versions: report what is there
    return {"raw": str(data)[:300]}


# -- driver ----------------------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}


def scenario(
    mode: str, clients: dict[str, Any], conc: int, seconds: float, n: int, stream: bool = False
) -> dict[str, Any]:
    server = Server(mode)
    out: dict[str, Any] = {}
    try:
        for name, fn in clients.items():
            try:
                runs = [fn(server.url, conc, seconds, stream) for _ in range(n)]
                out[name] = median_of(runs) | {"runs": n}
            except Exception as exc:  # a peer that cannot run is recorded, not fatal
                out[name] = {"error": str(exc)[:400]}
            print(f"  {mode:8} {name:16} {out[name]}", flush=True)
    finally:
        server.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args()

    def ours(kind: str) -> Any:
        return lambda url, c, s, st: run_child(kind, url, c, s, st)

    clients: dict[str, Any] = {
        "llmops-raw": ours("llmops-raw"),
        "llmops-engine": ours("llmops-engine"),
        "bare-aiohttp": ours("bare-aiohttp"),
    }
    if not args.skip_peers:
        clients |= {
            "wrk": lambda u, c, s, st: run_wrk(u, c, s),
            "locust-fasthttp": lambda u, c, s, st: run_locust(u, c, s),
            "guidellm": lambda u, c, s, st: run_guidellm(u, c, s),
        }
    streamers = {
        k: v for k, v in clients.items() if k in ("llmops-raw", "llmops-engine", "bare-aiohttp")
    }
    t0 = time.perf_counter()
    results = {
        "throughput_100": scenario("instant", clients, 100, args.seconds, args.runs),
        "fixed50_100": scenario("fixed50", clients, 100, args.seconds, args.runs),
        "stream_50": scenario("stream", streamers, 50, args.seconds, args.runs, stream=True),
    }
    for row in results["fixed50_100"].values():
        if "p50_ms" in row:
            row["added_p50_ms"] = round(row["p50_ms"] - 50, 2)
            row["added_p99_ms"] = round(row["p99_ms"] - 50, 2)
    thr = results["throughput_100"]
    bare = thr.get("bare-aiohttp", {}).get("rps")
    ratios = {
        name: round(row["rps"] / bare, 3) for name, row in thr.items() if bare and "rps" in row
    }
    doc = {
        "benchmark": "loadtest_capacity",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "runs": args.runs,
        "seconds_per_run": args.seconds,
        "note": "medians of runs; CPU shared with other work on this machine: figures are noisy",
        "results": results,
        "rps_ratio_to_bare_aiohttp": ratios,
        "wall_s": round(time.perf_counter() - t0, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps({"rps_ratio_to_bare_aiohttp": ratios}, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    elif len(sys.argv) > 5 and sys.argv[1] == "--child":
        child(
            sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), "--stream" in sys.argv
        )
    else:
        main()
