"""The load test as Markdown, for a CI step summary (``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

from llmops.workflows.loadtest import LevelResult, LoadtestResult

__all__ = ["level_cells", "load_header", "render_markdown", "table_header"]


def _ms(table: dict[str, float] | None, key: str) -> str:
    return "-" if table is None else f"{table[key]:.0f}"


def load_header(result: LoadtestResult) -> str:
    """The load column's name: clients, or offered requests/s."""
    return "rate (req/s)" if result.mode == "open" else "clients"


def table_header(result: LoadtestResult) -> list[str]:
    """Column names of the level table (shared by the terminal, Markdown and HTML reports)."""
    cols = [load_header(result), "requests", "success"]
    if not result.end_to_end:  # the engine's: fallbacks, attempts upstream, retries
        cols += ["degraded", "upstream ok", "amplif."]
    cols.append("p50 ms")
    cols += ["p95 ms", "p99 ms", "answers/s", "tokens/s", "errors"]
    if result.options.stream:
        cols += ["TTFT p99 ms", "ITL p99 ms", "TPOT p50 ms"]
    cols.append("note")
    return cols


def _errors(level: LevelResult, end_to_end: bool = False) -> str:
    parts = [f"{k} {v}" for k, v in level.errors_by_class.items()]
    statuses = [f"{k}x{v}" for k, v in level.errors_by_status.items()]
    if statuses and not end_to_end:  # the service's own statuses are its error classes already
        parts.append("upstream " + " ".join(statuses))
    return ", ".join(parts) or "-"


def level_cells(result: LoadtestResult, level: LevelResult) -> list[str]:
    """One level's row, as text cells in :func:`table_header` order."""
    v = result.verdict
    cells = [f"{level.load:g}", str(level.requests), f"{level.success_rate:.1%}"]
    if not result.end_to_end:
        cells += [
            f"{level.degraded_rate:.1%}" if level.degraded else "-",
            f"{level.upstream_success_rate:.1%}" if level.upstream_attempts else "-",
            f"{level.amplification:.2f}",
        ]
    cells += [
        _ms(level.latency_ms, "p50"),
        _ms(level.latency_ms, "p95"),
        _ms(level.latency_ms, "p99"),
        f"{level.throughput_rps:.1f}",
        f"{level.output_tokens_per_s:.0f}",
        _errors(level, result.end_to_end),
    ]
    if result.options.stream:
        cells += [_ms(level.ttft_ms, "p99"), _ms(level.itl_ms, "p99"), _ms(level.tpot_ms, "p50")]
    notes = []
    if v.knee is not None and v.knee.load == level.load:
        notes.append("knee")
    if level.client_bound:
        notes.append("client-bound")
    if level.stopped_early:
        notes.append("stopped early")
    cells.append(", ".join(notes))
    return cells


def render_markdown(result: LoadtestResult) -> str:
    """A heading, the level table and the verdict as a list."""
    header = table_header(result)
    lines = [
        "## llmops loadtest",
        "",
        f"Target: {result.target} · {result.via} · "
        f"{'open loop' if result.mode == 'open' else 'closed loop'} · "
        f"{result.wall_s:.0f} s · prompts: {result.prompts}",
        "",
        "| " + " | ".join(header) + " |",
        "|"
        + "|".join("---" if i == 0 or i == len(header) - 1 else "---:" for i in range(len(header)))
        + "|",
    ]
    for level in result.levels:
        lines.append(
            "| " + " | ".join(c.replace("|", "\\|") for c in level_cells(result, level)) + " |"
        )
    if result.skipped_loads:
        lines += [
            "",
            f"Not run: {', '.join(f'{x:g}' for x in result.skipped_loads)} ({result.stop_reason}).",
        ]
    lines += ["", "**Verdict**", ""]
    lines += [f"- {line}" for line in result.verdict.lines]
    if result.mode == "open":
        lines += [
            "",
            "Open loop: latency counts from each request's intended start (no coordinated "
            "omission); the JSON report also has the latency from the actual send.",
        ]
    return "\n".join(lines) + "\n"
