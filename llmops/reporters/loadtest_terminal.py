"""The load test on a terminal: the level table and the verdict (rich), and a live display."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column as RichColumn

from llmops.reporters.loadtest_markdown import level_cells, table_header
from llmops.reporters.terminal_tables import Column, print_split
from llmops.workflows.loadtest import (
    LevelFinished,
    LevelProgress,
    LevelResult,
    LevelStarted,
    LoadtestEvent,
    LoadtestResult,
)

__all__ = ["LiveDisplay", "render_terminal"]


#: the columns the terminal always shows, uncut, in the first table (degraded when present)
_KEEP = ("success", "degraded", "p50 ms", "p95 ms", "p99 ms", "answers/s", "main error")


def _main_error(level: LevelResult) -> str:
    """The dominant error class and its count, or ``-``."""
    if not level.errors_by_class:
        return "-"
    name, count = max(level.errors_by_class.items(), key=lambda kv: kv[1])
    return f"{name} {count}"


def render_terminal(result: LoadtestResult, console: Console, *, wide: bool = False) -> None:
    """Print the level table, then the verdict in words.

    When the whole table is wider than the console, the first table keeps the load, success,
    degraded (if any), p50/p95/p99, answers/s and the main error uncut, and the other columns
    follow in further tables led by the load; ``wide`` prints one table of every column.
    """
    header = table_header(result)
    rows = [level_cells(result, level) for level in result.levels]
    if any(level.degraded for level in result.levels):
        at = header.index("success") + 1
        header.insert(at, "degraded")
        for row, level in zip(rows, result.levels, strict=True):
            row.insert(at, str(level.degraded))
    at = header.index("errors")
    header.insert(at, "main error")
    for row, level in zip(rows, result.levels, strict=True):
        row.insert(at, _main_error(level))
    free_text = ("errors", "main error")
    columns = [
        Column(name, numeric=0 < i < len(header) - 1 and not text, flexible=text)
        for i, name in enumerate(header)
        for text in [name in free_text]
    ]
    knee = result.verdict.knee
    print_split(
        console,
        columns,
        rows,
        keep=[0, *(header.index(n) for n in _KEEP if n in header)],
        order=[len(header) - 1],  # the note (knee, client-bound) first
        split_only=[header.index("main error")],
        title=f"llmops loadtest · {result.target}",
        caption=(
            f"{result.via} · "
            f"{'open loop' if result.mode == 'open' else 'closed loop'} · {result.wall_s:.1f} s"
        ),
        styles=[
            "bold yellow" if knee is not None and knee.load == level.load else None
            for level in result.levels
        ],
        wide=wide,
    )
    if result.skipped_loads:
        skipped = ", ".join(f"{x:g}" for x in result.skipped_loads)
        console.print(f"[dim]not run: {skipped} ({result.stop_reason})[/]")
    for line in result.verdict.lines:
        console.print(f"• {line}", highlight=False, soft_wrap=False)


class LiveDisplay:
    """An observer drawing a progress bar per level, the current p99 and error counts.

    Use as a context manager around the run, passing the instance as an observer.
    """

    def __init__(self, console: Console, unit: str = "clients") -> None:
        self._unit = unit
        # the level and the counts never cut; the bar shrinks and the status wraps to fit
        self._progress = Progress(
            TextColumn("{task.description}", table_column=RichColumn(no_wrap=True, min_width=14)),
            BarColumn(bar_width=max(8, min(30, console.width - 70))),
            TextColumn(
                "{task.completed:>6.0f}/{task.total:<6.0f}",
                table_column=RichColumn(no_wrap=True, min_width=13),
            ),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}", table_column=RichColumn(overflow="fold")),
            console=console,
            transient=False,
        )
        self._tasks: dict[int, TaskID] = {}
        self._duration: dict[int, float | None] = {}

    def __enter__(self) -> LiveDisplay:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: LoadtestEvent) -> None:
        """Take one progress event."""
        if isinstance(event, LevelStarted):
            total = event.duration_s if event.planned is None else event.planned
            self._duration[event.index] = event.duration_s
            self._tasks[event.index] = self._progress.add_task(
                f"{event.load:>6g} {self._unit}",
                total=total,
                status="warming up" if event.warmup else "",
            )
        elif isinstance(event, LevelProgress):
            task = self._tasks.get(event.index)
            if task is None:
                return
            done = event.elapsed_s if self._duration.get(event.index) else event.done
            p99 = "-" if event.p99_s is None else f"{event.p99_s * 1000:.0f} ms"
            errors = " ".join(f"{k} {v}" for k, v in event.errors.items())
            status = "warming up" if event.warming else f"ok {event.successes}  p99 {p99}"
            if errors:
                status += f"  [red]{errors}[/]"
            self._progress.update(task, completed=done, status=status)
        elif isinstance(event, LevelFinished):
            task = self._tasks.get(event.index)
            if task is None:
                return
            lv = event.result
            p99 = "-" if lv.latency_ms is None else f"{lv.latency_ms['p99']:.0f} ms"
            total = self._progress.tasks[task].total or lv.requests
            status = f"success {lv.success_rate:.1%}  p99 {p99}  {lv.throughput_rps:.1f}/s"
            if lv.client_bound:
                status += "  [yellow]client-bound[/]"
            self._progress.update(task, completed=total, status=status)
