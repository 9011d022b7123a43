"""The load test on a terminal: the level table and the verdict (rich), and a live display."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from llmops.reporters.loadtest_markdown import level_cells, table_header
from llmops.workflows.loadtest import (
    LevelFinished,
    LevelProgress,
    LevelStarted,
    LoadtestEvent,
    LoadtestResult,
)

__all__ = ["LiveDisplay", "render_terminal"]


def render_terminal(result: LoadtestResult, console: Console) -> None:
    """Print the table of all levels, then the verdict in words."""
    table = Table(
        title=f"llmops loadtest · {result.target}",
        caption=(
            f"{'raw API' if result.raw else 'through the engine'} · "
            f"{'open loop' if result.mode == 'open' else 'closed loop'} · {result.wall_s:.1f} s"
        ),
        title_justify="left",
    )
    header = table_header(result)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i in (0, len(header) - 1) else "right")
    knee = result.verdict.knee
    for level in result.levels:
        style = "bold yellow" if knee is not None and knee.load == level.load else None
        table.add_row(*level_cells(result, level), style=style)
    console.print(table)
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
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TextColumn("{task.completed:>6.0f}/{task.total:<6.0f}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
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
