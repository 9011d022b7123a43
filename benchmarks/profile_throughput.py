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
DuckDB is installed into a throwaway venv and jq from Debian's packages, never into the project.
Results go to ``benchmarks/results/profile_throughput.json``, with the load average of the run.

    python benchmarks/profile_throughput.py --size-mb 1024 --repeat 3
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

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


def generate(path: Path, size_mb: int, seed: int = 20250301) -> int:
    """Write about ``size_mb`` MB of records; return the number of records."""
    rng = random.Random(seed)
    langs = list(PROMPTS)
    weights = [60, 10, 8, 8, 7, 7]
    target = size_mb * 1_000_000
    written = n = 0
    with path.open("wb") as f:
        buf: list[bytes] = []
        while written < target:
            lang = rng.choices(langs, weights)[0]
            # every opening differs, as in real logs (ids, names, dates): no memo or cache
            # along the way may see the same text twice
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
            request = {
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "You are helpful."},
                    {"role": "user", "content": text},
                ],
            }
            if rng.random() < p_fail:
                status = rng.choice((429, 500, 503))
                rec = {"timestamp": "2025-03-01T10:00:00Z", "latency_ms": rng.randint(50, 30000), "status": status, "request": request,
                       "response": {"error": {"type": "server_error", "code": None, "message": "upstream failed"}}}  # fmt: skip
            else:
                rec = {"timestamp": "2025-03-01T10:00:00Z", "latency_ms": rng.randint(200, 9000), "status": 200, "request": request,
                       "response": {"id": f"chatcmpl-{n}", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
                                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Summary: " + PROMPTS["en"][:60]}, "finish_reason": "stop"}],
                                    "usage": {"prompt_tokens": len(text) // 4, "completion_tokens": 40, "total_tokens": len(text) // 4 + 40}}}  # fmt: skip
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--log", type=Path, default=Path(tempfile.gettempdir()) / "llmops-profile-bench.jsonl"
    )
    parser.add_argument("--skip-jq", action="store_true", help="jq is slow; skip it")
    parser.add_argument("--before", type=Path, help="another llmops checkout to time alongside")
    args = parser.parse_args()
    if not args.log.exists() or abs(args.log.stat().st_size - args.size_mb * 1_000_000) > 5_000_000:
        t = time.perf_counter()
        n = generate(args.log, args.size_mb)
        print(
            f"generated {n:,} records, {args.log.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t:.0f}s"
        )
    args.log = args.log.resolve()
    size_mb = args.log.stat().st_size / 1e6
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
                f"  {name}: {seconds:.1f}s, {size_mb / seconds:.0f} MB/s, peak {peak / 1e6:.0f} MB, cpu {cpu:.1f}s, load {loads[-1]:.1f}",
                flush=True,
            )
    summary = {}
    for name, values in runs.items():
        median = statistics.median(s for s, _, _ in values)
        cpu = statistics.median(c for _, _, c in values)
        summary[name] = {"median_s": round(median, 2), "mb_per_s": round(size_mb / median, 1), "peak_rss_mb": round(max(p for _, p, _ in values) / 1e6, 1), "cpu_s": round(cpu, 2), "mb_per_cpu_s": round(size_mb / cpu, 1), "runs_s": [round(s, 2) for s, _, _ in values]}  # fmt: skip
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
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
