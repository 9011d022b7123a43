"""How many requests/s the mock server sustains, side by side with a bare aiohttp server.

The servers run in their own subprocesses (uvloop when installed) and answer
``POST /v1/chat/completions`` with the same bytes: the mock plans every answer through its
fault model (the ``instant`` profile: no injected latency, no limits, 50-token answers);
two bare servers return bytes captured from the mock once: the usual ``web.Application`` with
one route (the issue's baseline) and aiohttp's low-level ``web.Server`` (what the mock itself
is built on: the strict peer). Each is measured with
``wrk -t2 -c100 -d10s`` (Debian's ``wrk``, installed with apt-get when missing) and a Lua
script for the POST body, plain and streaming (50 tokens of SSE), interleaved, several
repetitions; medians and mock/bare ratios (against both) are printed and written to
``benchmarks/results/mock_capacity.json``.

Targets (issue 3): the mock >= 5,000 req/s and >= 70% of the bare server.

    python benchmarks/mock_capacity.py [--reps 3] [--duration 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from llmops.mock import spawn_mock_server

RESULTS = Path(__file__).parent / "results" / "mock_capacity.json"
PROMPT = "Say hello to the benchmark"
READY = "bare: listening on "

BARE_SERVER = r"""
import asyncio, sys
from aiohttp import web

plain, stream = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}

async def handle(request):
    body = await request.read()
    if b'"stream":true' in body:
        response = web.StreamResponse(headers=SSE)
        await response.prepare(request)
        await response.write(stream)
        await response.write_eof()
        return response
    return web.Response(body=plain, headers=JSON)

async def main():
    if sys.argv[3] == "lowlevel":  # aiohttp's low-level server, as the mock uses
        runner = web.ServerRunner(web.Server(handle, access_log=None))
    else:  # the usual web.Application with one route
        app = web.Application()
        app.router.add_post("/v1/chat/completions", handle)
        runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print("bare: listening on http://127.0.0.1:%d" % runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()

try:
    import uvloop
    uvloop.run(main())
except ImportError:
    asyncio.run(main())
"""


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's packages if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is not available and could not be installed")
    return found


def request_body(stream: bool) -> bytes:
    body = {"model": "mock-1", "max_tokens": 256, "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        body["stream"] = True
    return json.dumps(body, separators=(",", ":")).encode()


def lua_script(directory: Path, stream: bool) -> Path:
    path = directory / f"post_{'stream' if stream else 'plain'}.lua"
    body = request_body(stream).decode().replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        f'wrk.method = "POST"\nwrk.body = "{body}"\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


def capture(url: str, stream: bool) -> bytes:
    request = urllib.request.Request(
        url + "/v1/chat/completions",
        data=request_body(stream),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        data: bytes = response.read()
        return data


def run_wrk(wrk: str, url: str, script: Path, duration: int) -> dict[str, Any]:
    command = [
        wrk,
        "-t2",
        "-c100",
        f"-d{duration}s",
        "-s",
        str(script),
        url + "/v1/chat/completions",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    args = parser.parse_args()
    wrk = ensure_wrk()
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, spawn_mock_server("instant") as mock_url:
        directory = Path(tmp)
        (directory / "plain.bin").write_bytes(capture(mock_url, stream=False))
        (directory / "stream.bin").write_bytes(capture(mock_url, stream=True))
        bares = {
            flavour: subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    BARE_SERVER,
                    str(directory / "plain.bin"),
                    str(directory / "stream.bin"),
                    flavour,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # wrk's closing connections make aiohttp log resets
                text=True,
            )
            for flavour in ("app", "lowlevel")
        }
        try:
            urls = {"mock": mock_url}
            for flavour, proc in bares.items():
                assert proc.stdout is not None
                urls[f"bare{flavour}"] = proc.stdout.readline()[len(READY) :].strip()
            scripts = {False: lua_script(directory, False), True: lua_script(directory, True)}
            for rep in range(args.reps):
                for stream in (False, True):
                    for name, url in urls.items():
                        case = f"{name}_{'stream50' if stream else 'plain'}"
                        result = run_wrk(wrk, url, scripts[stream], args.duration)
                        runs.setdefault(case, []).append(result)
                        print(
                            f"rep {rep + 1}/{args.reps} {case:20s} {result['rps']:9.0f} req/s",
                            flush=True,
                        )
                        time.sleep(1)
        finally:
            for proc in bares.values():
                proc.terminate()
                proc.wait(timeout=10)
    medians = {case: statistics.median(r["rps"] for r in results) for case, results in runs.items()}
    kinds = ("plain", "stream50")
    ratios = {
        f"{kind}_vs_{bare}": medians[f"mock_{kind}"] / medians[f"{bare}_{kind}"]
        for kind in kinds
        for bare in ("bareapp", "barelowlevel")
    }
    print()
    print(
        f"{'case':10s} {'mock':>8s} {'bare app':>9s} {'bare low':>9s} {'mock/app':>9s} {'mock/low':>9s}"
    )
    for kind in kinds:
        print(
            f"{kind:10s} {medians['mock_' + kind]:8.0f} {medians['bareapp_' + kind]:9.0f}"
            f" {medians['barelowlevel_' + kind]:9.0f} {ratios[kind + '_vs_bareapp']:9.0%}"
            f" {ratios[kind + '_vs_barelowlevel']:9.0%}"
        )
    plain_ok = medians["mock_plain"] >= 5000 and ratios["plain_vs_bareapp"] >= 0.70
    print(
        f"\ntarget (plain >= 5,000 req/s and >= 70% of bare aiohttp): {'met' if plain_ok else 'NOT met'}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "mock_capacity",
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                },
                "wrk": f"-t2 -c100 -d{args.duration}s, POST body via Lua",
                "profile": "instant (no injected latency, 50-token answers)",
                "peers": {
                    "bareapp": "aiohttp web.Application, one route, same bytes",
                    "barelowlevel": "aiohttp low-level web.Server (what the mock uses), same bytes",
                },
                "repetitions": args.reps,
                "median_rps": {k: round(v, 1) for k, v in medians.items()},
                "ratio_mock_to_bare": {k: round(v, 3) for k, v in ratios.items()},
                "runs": runs,
                "target_plain_met": plain_ok,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
