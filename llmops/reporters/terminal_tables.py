"""Tables that fit the terminal: no header is ever cut, and columns that do not fit go to a
second (third...) table keyed by the same first column instead of being squeezed to "cli…".

Used by the load-test, eval and profile terminal reporters. The JSON, Markdown and HTML reports
always keep every column; on the terminal ``--wide`` asks for one table with all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

__all__ = ["Column", "fits", "print_split", "table_of"]


@dataclass(frozen=True)
class Column:
    """A column: its header, whether it is numeric (right-aligned, never wrapped) and whether
    its cells may wrap (``flexible``: free text such as errors or reasons)."""

    header: str
    numeric: bool = False
    flexible: bool = False


def table_of(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> Table:
    """A compact table (no vertical rules) whose headers keep their full width."""
    table = Table(
        title=title,
        caption=caption,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for col in columns:
        table.add_column(
            col.header,
            justify="right" if col.numeric else "left",
            no_wrap=not col.flexible,
            overflow="fold" if col.flexible else "ellipsis",
            min_width=len(col.header),
        )
    for i, row in enumerate(rows):
        table.add_row(*row, style=styles[i] if styles else None)
    return table


def fits(table: Table, console: Console) -> bool:
    """Whether ``table`` prints within the console's width without cutting a cell."""
    return _natural_width(table, console) <= console.width


def _natural_width(table: Table, console: Console) -> int:
    """The width ``table`` takes when nothing limits it."""
    return Measurement.get(console, console.options.update(width=100_000), table).maximum


def print_split(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    keep: Sequence[int],
    title: str | None = None,
    caption: str | None = None,
    styles: Sequence[str | None] | None = None,
    wide: bool = False,
    order: Sequence[int] | None = None,
    split_only: Sequence[int] = (),
) -> None:
    """Print one table of every column if it fits (or ``wide``); otherwise the ``keep`` columns
    (by index, the first being the key) first, and the rest (in ``order``, then in column order)
    packed into it and into further tables, each led by the key column and as wide as the
    console allows. ``split_only`` columns (a summary of another, such as the main error of
    all errors) are left out of the single table."""
    every = [i for i in range(len(columns)) if i not in split_only]
    whole = table_of(
        [columns[i] for i in every],
        [[row[i] for i in every] for row in rows],
        title=title,
        caption=caption,
        styles=styles,
    )
    if wide or fits(whole, console):
        narrow = console.width
        console.width = max(narrow, _natural_width(whole, console))  # print() caps at width
        try:
            console.print(whole, crop=False)
        finally:
            console.width = narrow
        return

    def sub(indices: Sequence[int], *, head: bool) -> Table:
        return table_of(
            [columns[i] for i in indices],
            [[row[i] for i in indices] for row in rows],
            title=title if head else None,
            caption=caption if head else None,
            styles=styles,
        )

    key = keep[0]
    rest = [i for i in (*(order or ()), *range(len(columns))) if i not in keep]
    rest = list(dict.fromkeys(rest))
    group, head = list(keep), True
    while True:
        while rest and fits(sub([*group, rest[0]], head=head), console):
            group.append(rest.pop(0))
        console.print(sub(group, head=head))
        if not rest:
            return
        group, head = [key, rest.pop(0)], False
