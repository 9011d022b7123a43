"""Throughput and peak memory of `llmops profile`, side by side with DuckDB and jq.

Generates a JSON-lines log of OpenAI chat request/response records (reproducible seed; mixed
languages, lengths, code, planted failure effects), then in the same run measures:

- ``llmops profile`` with language detection on (all cores) and off,
- DuckDB's ``read_json_auto`` computing the same per-segment failure counts (length bins),
- a ``jq`` pipeline computing the same counts,

each as wall time (median of ``--repeat`` runs), MB/s, peak RSS of the whole process tree and
CPU seconds of the tree. ``llmops profile --workers 1`` is timed too: its MB per CPU second is the
per-core throughput, what each free core adds when the machine is shared. ``--before DIR`` also
times another checkout of llmops (say ``git worktree add DIR <commit>``) in the same run.
It also generates a log of every other format ``llmops profile`` reads (Anthropic, OpenAI Batch
input and output lines, llmops events, LiteLLM, Langfuse, Helicone, OTLP spans, pino and structlog
lines, the same calls in each: :data:`GENERATORS`) and times ``llmops profile`` on each, with
language detection on (``--formats``, ``--format-size-mb``). DuckDB is installed into a throwaway
venv and jq from Debian's packages, never into the project. Results go to ``benchmarks/results/profile_throughput.json``, with the load average of the run.

    python benchmarks/profile_throughput.py --size-mb 1024 --repeat 3
    python benchmarks/profile_throughput.py --size-mb 256 --format-size-mb 128 --repeat 3
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "profile_throughput.json"
VENV = Path(tempfile.gettempdir()) / "llmops-bench-duckdb"

PROMPTS = {
    "en": "Please summarise the attached meeting notes and list every action item with its owner and due date.",
    "de": "Bitte fasse die beigefügten Besprechungsnotizen zusammen und liste alle Aufgaben mit Verantwortlichen auf.",
    "fr": "Pouvez-vous résumer les notes de réunion ci-jointes et lister chaque action avec son responsable ?",
    "es": "¿Puedes resumir las notas de la reunión adjuntas y enumerar cada tarea con su responsable?",
    "ru": "Пожалуйста, кратко изложи приложенные заметки со встречи и перечисли все задачи с ответственными.",  # noqa: RUF001
    "zh": "请总结附件中的会议记录，并列出每一项待办事项及其负责人和截止日期。",  # noqa: RUF001
}
CODE = "\n```python\ndef total(items):\n    return sum(i.price for i in items)\n```\n"


#: the log formats a log is generated for, and the extra ``llmops profile`` options each needs
FORMAT_ARGS: dict[str, list[str]] = {
    "openai": [],
    "anthropic": [],
    "openai-batch": [],
    "llmops": [],
    "litellm": [],
    "langfuse": [],
    "helicone": [],
    "otel": [],
    "pino": ["--field", "error=err.type", "--fail-if", "level>=50"],
    "structlog": ["--field", "input=request.prompt", "--field", "outcome=result.status"],
}
STAMP = "2025-03-01T10:00:00Z"


def _call(rng: random.Random, n: int) -> tuple[str, bool, int, int]:
    """One call's input text, whether it failed, its HTTP status and latency in ms."""
    lang = rng.choices(list(PROMPTS), [60, 10, 8, 8, 7, 7])[0]
    # every opening differs, as in real logs (ids, names, dates): no memo or cache along the
    # way may see the same text twice
    body = " ".join([PROMPTS[lang]] * rng.choice((1, 1, 2, 4, 8, 16, 30)))
    text = f"#{n} {rng.randrange(10**9)}: {body}"
    code = rng.random() < 0.15
    if code:
        text += CODE
    p_fail = (
        0.05
        + (0.12 if len(text) > 2000 else 0)
        + (0.10 if lang == "zh" else 0)
        + (0.05 if code else 0)
    )
    failed = rng.random() < p_fail
    status = rng.choice((429, 500, 503)) if failed else 200
    return text, failed, status, rng.randint(50, 30000) if failed else rng.randint(200, 9000)


def _openai(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    request = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": text},
        ],
    }
    if failed:
        return [
            {
                "timestamp": STAMP,
                "latency_ms": ms,
                "status": status,
                "request": request,
                "response": {
                    "error": {"type": "server_error", "code": None, "message": "upstream failed"}
                },
            }
        ]
    return [
        {
            "timestamp": STAMP,
            "latency_ms": ms,
            "status": 200,
            "request": request,
            "response": {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": "Summary: " + PROMPTS["en"][:60],
                        },
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": len(text) // 4,
                    "completion_tokens": 40,
                    "total_tokens": len(text) // 4 + 40,
                },
            },
        }
    ]


def _anthropic(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    request = {
        "model": "claude-3-5-sonnet-latest",
        "max_tokens": 1024,
        "system": "You are concise.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }
    response = (
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        if failed
        else {
            "id": f"msg_{n}",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-5-sonnet-20241022",
            "content": [{"type": "text", "text": "Action items: " + PROMPTS["en"][:60]}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": len(text) // 4, "output_tokens": 40},
        }
    )
    return [
        {
            "timestamp": STAMP,
            "latency_ms": ms,
            "status": status,
            "request": request,
            "response": response,
        }
    ]


def _batch(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    answer = (
        {"error": {"type": "server_error", "code": "server_error"}}
        if failed
        else {
            "id": f"chatcmpl-{n}",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Summary"},
                }
            ],
            "usage": {"completion_tokens": 40},
        }
    )
    return [
        {"custom_id": f"req-{n}", "method": "POST", "url": "/v1/chat/completions", "body": body},
        {
            "id": f"batch_req_{n}",
            "custom_id": f"req-{n}",
            "response": {"status_code": status, "request_id": f"r{n}", "body": answer},
            "error": None,
        },
    ]


def _llmops(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    rid = {"llmops.request_id": f"req-{n}", "llmops.feature": "summarize", "time": STAMP}
    return [
        {
            "event": "input_profile",
            **rid,
            "llmops.input.chars": len(text),
            "llmops.input.words": len(text.split()),
            "llmops.input.lines": text.count("\n") + 1,
            "llmops.input.has_code": "```" in text,
            "llmops.input.language": "en",
            "llmops.input.normalized": False,
            "llmops.input.truncated": False,
        },
        {
            "event": "model_call",
            **rid,
            "gen_ai.system": "openai",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.input_tokens": len(text) // 4,
            "gen_ai.usage.output_tokens": 40,
            "http.response.status_code": status,
            "error.type": "server_error" if failed else None,
            "llmops.attempt": 1,
            "llmops.latency_s": ms / 1000,
        },
        {
            "event": "call_finished",
            **rid,
            "llmops.outcome": "error" if failed else "ok",
            "error.type": "server_error" if failed else None,
            "llmops.attempts": 1,
            "llmops.latency_s": ms / 1000,
            "llmops.queue_wait_s": 0.0,
        },
    ]


def _litellm(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    return [
        {
            "call_type": "acompletion",
            "stream": False,
            "model_group": "gpt-4o-mini",
            "metadata": {"user_api_key_alias": "support-bot"},
            "id": f"chatcmpl-{n}",
            "status": "failure" if failed else "success",
            "model": "gpt-4o-mini",
            "startTime": 1740823200.0 + n,
            "endTime": 1740823200.0 + n + ms / 1000,
            "completion_tokens": 40,
            "messages": [
                {"role": "system", "content": "You are helpful."},
                {"role": "user", "content": text},
            ],
            "response": {
                "id": f"chatcmpl-{n}",
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"message": {"role": "assistant", "content": "Summary"}}],
            },
            "error_information": {
                "error_code": str(status),
                "error_class": "APIError" if failed else None,
            },
        }
    ]


def _langfuse(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"obs-{n}",
            "traceId": f"trace-{n}",
            "type": "GENERATION",
            "name": "summarize",
            "startTime": "2025-03-01T10:00:00.000Z",
            "endTime": "2025-03-01T10:00:01.200Z",
            "model": "gpt-4o-2024-08-06",
            "input": [{"role": "user", "content": text}],
            "output": {"role": "assistant", "content": "Summary"},
            "usageDetails": {"input": len(text) // 4, "output": 40},
            "level": "ERROR" if failed else "DEFAULT",
            "statusMessage": f"Error: {status} upstream failed" if failed else None,
        }
    ]


def _helicone(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    return [
        {
            "request_id": f"h-{n}",
            "request_created_at": STAMP,
            "request_path": "https://oai.helicone.ai/v1/chat/completions",
            "request_body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": text}],
            },
            "request_properties": {"feature": "summarize"},
            "response_status": status,
            "response_model": "gpt-4o-mini-2024-07-18",
            "response_body": {"error": {"type": "server_error"}}
            if failed
            else {"choices": [{"message": {"content": "Summary"}}]},
            "delay_ms": ms,
            "prompt_tokens": len(text) // 4,
            "completion_tokens": 40,
        }
    ]


def _otel(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    start = 1740823200000000000 + n * 10**9
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.input.messages": json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": text}]}]
        ),
        "gen_ai.usage.input_tokens": len(text) // 4,
        "gen_ai.usage.output_tokens": 40,
    }
    if failed:
        attrs["error.type"] = "server_error"
    span = {
        "traceId": f"{n:032x}",
        "spanId": f"{n:016x}",
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + ms * 10**6),
        "attributes": [
            {"key": k, "value": {"stringValue": v} if isinstance(v, str) else {"intValue": str(v)}}
            for k, v in attrs.items()
        ],
        "status": {"code": 2} if failed else {},
    }
    return [
        {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [
                            {"key": "service.name", "value": {"stringValue": "support-bot"}}
                        ]
                    },
                    "scopeSpans": [
                        {"scope": {"name": "opentelemetry.instrumentation.openai"}, "spans": [span]}
                    ],
                }
            ]
        }
    ]


def _pino(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    rec: dict[str, Any] = {
        "level": 50 if failed else 30,
        "time": 1740823200000 + n,
        "pid": 7,
        "hostname": "api-1",
        "msg": "llm call",
        "input": text,
        "outcome": "error" if failed else "ok",
        "model": "gpt-4o-mini",
    }
    if failed:
        rec["err"] = {"type": "RateLimitError" if status == 429 else "APIError"}
    return [rec]


def _structlog(n: int, text: str, failed: bool, status: int, ms: int) -> list[dict[str, Any]]:
    return [
        {
            "event": "llm_call",
            "level": "error" if failed else "info",
            "timestamp": STAMP,
            "request": {"prompt": text},
            "result": {"status": "invalid_json" if failed else "ok", "model": "gpt-4o-mini"},
            "duration_ms": ms,
        }
    ]


Records = Callable[[int, str, bool, int, int], list[dict[str, Any]]]
GENERATORS: dict[str, Records] = {
    "openai": _openai, "anthropic": _anthropic, "openai-batch": _batch, "llmops": _llmops, "litellm": _litellm,
    "langfuse": _langfuse, "helicone": _helicone, "otel": _otel, "pino": _pino, "structlog": _structlog,
}  # fmt: skip


def generate(path: Path, size_mb: int, fmt: str = "openai", seed: int = 20250301) -> int:
    """Write about ``size_mb`` MB of ``fmt`` records; return the number of calls."""
    rng = random.Random(seed)
    make = GENERATORS[fmt]
    target = size_mb * 1_000_000
    written = n = 0
    with path.open("wb") as f:
        buf: list[bytes] = []
        while written < target:
            for rec in make(n, *_call(rng, n)):
                line = orjson.dumps(rec) + b"\n"
                buf.append(line)
                written += len(line)
            n += 1
            if len(buf) >= 10_000:
                f.write(b"".join(buf))
                buf.clear()
        f.write(b"".join(buf))
    return n


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    cmd: list[str] | str,
    *,
    shell: bool = False,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[float, int, str, float]:
    """Run ``cmd``; return (seconds, peak RSS bytes of the process tree, stdout, CPU seconds)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed ({proc.returncode}): {err.decode()[-500:]}")
    return elapsed, peak, out.decode(), _children_cpu() - cpu


def ensure_peers() -> tuple[str | None, str | None]:
    """DuckDB in a throwaway venv, jq from apt; either may be None when it cannot be had."""
    duck = VENV / "bin" / "python"
    if not duck.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(duck), "-m", "pip", "install", "-q", "duckdb"], check=False)
    has_duck = (
        subprocess.run([str(duck), "-c", "import duckdb"], capture_output=True).returncode == 0
    )
    if shutil.which("jq") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "jq"], capture_output=True, check=False)
    return (str(duck) if has_duck else None), shutil.which("jq")


DUCK_SQL = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads TO {threads}")
rows = con.execute('''
  SELECT CASE WHEN l < 500 THEN '<500' WHEN l <= 2000 THEN '500-2000' ELSE '>2000' END AS seg,
         count(*) AS n, sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS failures
  FROM (SELECT length(request.messages[-1].content) AS l, status
        FROM read_json_auto('{path}', format='newline_delimited', maximum_object_size=268435456))
  GROUP BY seg ORDER BY seg''').fetchall()
print(rows)
"""
JQ = (
    "jq -c -n 'reduce (inputs | [(.request.messages[-1].content | length | "
    'if . < 500 then "<500" elif . <= 2000 then "500-2000" else ">2000" end), '
    "(if .status >= 400 then 1 else 0 end)]) as $r ({{}}; .[$r[0]].n += 1 | .[$r[0]].failures += $r[1])' {path}"
)


def ensure_log(path: Path, size_mb: int, fmt: str) -> None:
    """Generate ``path`` unless a log of about ``size_mb`` MB is there already."""
    if path.exists() and abs(path.stat().st_size - size_mb * 1_000_000) <= 5_000_000:
        return
    t = time.perf_counter()
    n = generate(path, size_mb, fmt)
    print(
        f"generated {n:,} {fmt} calls, {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t:.0f}s"
    )


def _best_cpu(work: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of ``repeat`` runs of ``work`` (the machine may be shared)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def breakdown(path: Path, records: int = 20_000) -> dict[str, float]:
    """Where the time of one OpenAI record goes on one core, in µs (in this process)."""
    sys.path.insert(0, str(ROOT))
    from llmops.core.textprofile import measure_text
    from llmops.language import _CACHE, detect_language
    from llmops.workflows.profile.formats import RecordReader
    from llmops.workflows.profile.formats_providers import ChatRecord, from_openai
    from llmops.workflows.profile.read import ScanOptions, scan_stream
    from llmops.workflows.profile.tally import Tally

    with path.open("rb") as f:
        lines = [f.readline().rstrip(b"\n") for _ in range(records)]
    data = b"\n".join(lines) + b"\n"
    decode = msgspec.json.Decoder(ChatRecord).decode
    reader = RecordReader()
    calls = [from_openai(decode(line)) for line in lines]
    texts = [c.text or "" for c in calls if c is not None]
    measured = [measure_text(t) for t in texts]
    n = len(lines)

    def languages() -> None:
        _CACHE.clear()  # every opening differs: no answer is remembered from an earlier run
        for t in texts:
            detect_language(t)

    def count() -> None:
        tally = Tally()
        for m, c in zip(measured, calls, strict=True):
            tally.add_measured(m, c)  # type: ignore[arg-type]

    def scan(detect: bool) -> Callable[[], object]:
        return lambda: scan_stream(io.BytesIO(data), "bench", ScanOptions(detect_language=detect))

    def each(f: Callable[[Any], object], items: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for item in items:
                f(item)

        return run

    us = {
        "decode (typed msgspec, one pass)": _best_cpu(each(decode, lines)),
        "reader (decode + build the call)": _best_cpu(each(lambda x: reader.read(x, True), lines)),
        "text measures": _best_cpu(each(measure_text, texts)),
        "language (pycld2, 160 chars)": _best_cpu(languages),
        "counting (tally)": _best_cpu(count),
        "whole scan, language on": _best_cpu(scan(True)),
        "whole scan, language off": _best_cpu(scan(False)),
    }
    return {k: round(v / n * 1e6, 2) for k, v in us.items()}


def per_core(logs: dict[str, Path], mb: int = 32) -> dict[str, dict[str, float]]:
    """MB per CPU second of the scan alone (no start-up, no analysis) on one core, per format,
    over the first ``mb`` MB of each log, language detection on and off (in this process)."""
    sys.path.insert(0, str(ROOT))
    from llmops.language import _CACHE
    from llmops.workflows.profile import ProfileOptions
    from llmops.workflows.profile.read import scan_stream

    out: dict[str, dict[str, float]] = {}
    for fmt, path in logs.items():
        with path.open("rb") as f:
            data = f.read(mb * 1_000_000)
        data = data[: data.rfind(b"\n") + 1]
        args = FORMAT_ARGS[fmt]
        fields = tuple(args[i + 1] for i, a in enumerate(args) if a == "--field")
        fail_if = next((args[i + 1] for i, a in enumerate(args) if a == "--fail-if"), None)
        row: dict[str, float] = {}
        for detect in (True, False):
            options = ProfileOptions(fields=fields, fail_if=fail_if, detect_language=detect)
            scan = options.scan_options()
            calls = scan_stream(io.BytesIO(data), fmt, scan).tally.requests

            def run() -> None:
                _CACHE.clear()  # every opening differs: no answer remembered from a run before
                scan_stream(io.BytesIO(data), fmt, scan)  # noqa: B023

            cpu = _best_cpu(run, repeat=3)
            key = "language on" if detect else "language off"
            row[f"mb_per_cpu_s, {key}"] = round(len(data) / 1e6 / cpu, 1)
            row[f"us_per_call, {key}"] = round(cpu / calls * 1e6, 2)
        row["bytes_per_call"] = round(len(data) / calls)
        out[fmt] = row
        print(f"  one core, scan only, {fmt}: {row}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--log", type=Path, default=Path(tempfile.gettempdir()) / "llmops-profile-bench.jsonl"
    )
    parser.add_argument("--skip-jq", action="store_true", help="jq is slow; skip it")
    parser.add_argument("--before", type=Path, help="another llmops checkout to time alongside")
    parser.add_argument(
        "--formats",
        default=",".join(f for f in GENERATORS if f != "openai"),
        help="the other formats to generate a log of and time (comma-separated; '' for none)",
    )
    parser.add_argument(
        "--format-size-mb", type=int, help="size of each other format's log (default: --size-mb)"
    )
    args = parser.parse_args()
    ensure_log(args.log, args.size_mb, "openai")
    args.log = args.log.resolve()
    size_mb = args.log.stat().st_size / 1e6
    others: dict[str, Path] = {}
    for fmt in filter(None, args.formats.split(",")):
        path = args.log.with_name(f"{args.log.stem}-{fmt}.jsonl")
        ensure_log(path, args.format_size_mb or args.size_mb, fmt)
        others[fmt] = path
    duck, jq = ensure_peers()
    reports = Path(tempfile.mkdtemp(prefix="llmops-bench-reports-"))
    llmops = [
        sys.executable,
        "-c",
        "from llmops.cli.app import main; main()",
        "profile",
        str(args.log),
        "--report-dir",
        str(reports),
    ]
    runs: dict[str, list[tuple[float, int, float]]] = {}
    here = dict(os.environ, PYTHONPATH=str(ROOT))
    Command = tuple[list[str] | str, bool, dict[str, str] | None]
    commands: dict[str, Command] = {
        "llmops profile (language on)": (llmops, False, here),
        "llmops profile (language off)": ([*llmops, "--no-language"], False, here),
        "llmops profile --workers 1 (language on)": ([*llmops, "--workers", "1"], False, here),
        "llmops profile --workers 1 (language off)": (
            [*llmops, "--workers", "1", "--no-language"], False, here,
        ),
    }  # fmt: skip
    if args.before:
        before = dict(os.environ, PYTHONPATH=str(args.before.resolve()))
        commands["before: llmops profile (language on)"] = (llmops, False, before)
        commands["before: llmops profile (language off)"] = (
            [*llmops, "--no-language"], False, before,
        )  # fmt: skip
    sizes = {name: size_mb for name in commands}
    for fmt, path in others.items():
        cmd = [*llmops[:4], str(path), *llmops[5:], *FORMAT_ARGS[fmt]]
        name = f"llmops profile {fmt} log (language on)"
        commands[name] = (cmd, False, here)
        sizes[name] = path.stat().st_size / 1e6
    if duck:
        script = DUCK_SQL.format(path=args.log, threads=os.cpu_count() or 1)
        commands["duckdb read_json_auto"] = ([duck, "-c", script], False, None)
    if jq and not args.skip_jq:
        commands["jq"] = (JQ.format(path=args.log), True, None)
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):  # interleaved so noise hits every tool alike
        for name, (cmd, shell, env) in commands.items():
            # run outside the checkout: `python -c` puts the working directory first on sys.path
            seconds, peak, _out, cpu = measure(cmd, shell=shell, env=env, cwd=reports)
            runs.setdefault(name, []).append((seconds, peak, cpu))
            loads.append(os.getloadavg()[0])
            print(
                f"  {name}: {seconds:.1f}s, {sizes.get(name, size_mb) / seconds:.0f} MB/s, peak {peak / 1e6:.0f} MB, cpu {cpu:.1f}s, load {loads[-1]:.1f}",
                flush=True,
            )
    summary = {}
    for name, values in runs.items():
        median = statistics.median(s for s, _, _ in values)
        cpu = statistics.median(c for _, _, c in values)
        mb = sizes.get(name, size_mb)
        summary[name] = {"log_mb": round(mb, 1), "median_s": round(median, 2), "mb_per_s": round(mb / median, 1), "peak_rss_mb": round(max(p for _, p, _ in values) / 1e6, 1), "cpu_s": round(cpu, 2), "mb_per_cpu_s": round(mb / cpu, 1), "runs_s": [round(s, 2) for s, _, _ in values]}  # fmt: skip
    print(
        f"\n{size_mb:,.0f} MB log, {args.repeat} runs each, {os.cpu_count()} cores, load average (1 min) {min(loads):.1f}-{max(loads):.1f}"
    )
    for name, row in summary.items():
        print(
            f"{name:44s} {row['median_s']:7.1f}s {row['mb_per_s']:7.1f} MB/s  peak {row['peak_rss_mb']:6.0f} MB  {row['mb_per_cpu_s']:6.1f} MB/cpu-s"
        )
    ratios = {}
    if "duckdb read_json_auto" in summary:
        ours, duck = summary["llmops profile (language off)"], summary["duckdb read_json_auto"]
        # DuckDB's run times spread widely here (its threads and the shared machine), so the
        # ratio of the fastest runs is given beside the ratio of the medians
        ratios = {
            "median": round(ours["median_s"] / duck["median_s"], 2),
            "fastest": round(min(ours["runs_s"]) / min(duck["runs_s"]), 2),
        }
        print(
            f"llmops (language off) / DuckDB time: {ratios['median']:.2f}x of the medians, "
            f"{ratios['fastest']:.2f}x of the fastest runs (target <= 1.5x)"
        )
    scan_per_core = per_core({"openai": args.log, **others})
    per_record = breakdown(args.log)
    print(
        "\nper OpenAI record on one core (µs): "
        + ", ".join(f"{k} {v}" for k, v in per_record.items())
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "log_mb": round(size_mb, 1),
                "repeat": args.repeat,
                "cores": os.cpu_count(),
                "load_average_1min": [round(min(loads), 2), round(max(loads), 2)],
                "results": summary,
                "llmops_language_off_over_duckdb": ratios,
                "per_openai_record_us_one_core": per_record,
                "scan_only_one_core_per_format": scan_per_core,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
