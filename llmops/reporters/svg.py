"""Charts written as inline SVG text: no plotting library, no script, no network, no fonts to embed.

:func:`bar_chart` draws bars over categories (stacked when there are several series, e.g. ok and
failed requests per bin), optionally with a line on a second, right-hand axis (e.g. the failure
rate per bin): axes with round ticks, axis labels, a legend, a tooltip per category and an
accessible ``<title>``/``<desc>``. Every text is escaped. The SVG scales to its container
(``viewBox``); pages inline it as it is.

Text widths are estimated (about 0.6 em a character), not measured, so margins are generous.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["FAILED_COLOUR", "LINE_COLOUR", "OK_COLOUR", "Bars", "Line", "bar_chart", "nice_ticks"]

#: fill of the "ok" series (blue and red stay apart for the common colour-vision deficiencies)
OK_COLOUR = "#4e79a7"
#: fill of the "failed" series
FAILED_COLOUR = "#e15759"
#: stroke of a line series
LINE_COLOUR = "#333333"

_FONT = "system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
_TEXT = "#333333"
_MUTED = "#666666"
_GRID = "#e6e6e6"
_AXIS = "#999999"
#: longest category label drawn on the axis; the tooltip has it in full
MAX_LABEL_CHARS = 14
_CHAR_EM = 0.6
#: widest bar drawn, so that two or three categories do not become slabs
MAX_BAR_WIDTH = 72.0


@dataclass(frozen=True, slots=True)
class Bars:
    """One series of bars: its legend name, a value per category and a fill colour."""

    name: str
    values: Sequence[float]
    colour: str


@dataclass(frozen=True, slots=True)
class Line:
    """A line over the categories on its own right-hand axis, starting at zero."""

    name: str
    values: Sequence[float]
    axis_label: str
    colour: str = LINE_COLOUR
    #: appended to the right axis' tick labels and to the tooltip's value, e.g. ``"%"``
    unit: str = ""


def nice_ticks(high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Ticks from 0 up to at least ``high`` in round steps (1, 2, 2.5 or 5 times a power of ten).

    About ``count`` intervals; ``integer`` keeps the steps whole (for counts). ``high <= 0`` gives
    the ticks of 0..1.
    """
    if not high > 0 or math.isinf(high):
        high = 1.0
    raw = high / max(1, count)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = 10 * magnitude
    for factor in (1.0, 2.0, 2.5, 5.0):
        candidate = factor * magnitude
        if candidate >= raw and (not integer or float(candidate).is_integer()):
            step = candidate
            break
    if integer:
        step = max(step, 1.0)
    intervals = max(1, math.ceil(high / step - 1e-9))
    return [float(f"{k * step:.12g}") for k in range(intervals + 1)]


def _num(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _tick_label(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.12g}"
    return text + unit


def _value(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _text_width(text: str, size: float) -> float:
    return len(text) * size * _CHAR_EM


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "\u2026"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-") or "untitled"


def bar_chart(
    categories: Sequence[str],
    stacks: Sequence[Bars],
    *,
    title: str,
    axis_label: str,
    line: Line | None = None,
    width: int = 520,
    height: int = 280,
    chart_id: str | None = None,
) -> str:
    """An ``<svg>`` element: one bar per category, the series in ``stacks`` stacked bottom up.

    ``line``, if given, is drawn over the bar centres against a right-hand axis. ``chart_id``
    (default: from the title; made of letters, digits, ``_`` and ``-``) prefixes the ids that
    ``aria-labelledby`` points at, so it must be unique in the page. Raises :class:`ValueError` when a series' length differs from the
    categories'.
    """
    n = len(categories)
    every: list[Bars | Line] = [*stacks, *([line] if line is not None else [])]
    for series in every:
        if len(series.values) != n:
            raise ValueError(f"series {series.name!r} has {len(series.values)} values for {n}")
    ident = _slug(chart_id) if chart_id else f"chart-{_slug(title)}"
    esc = escape

    # layout: title row, legend row, plot; rotated category labels when they do not fit a band
    left = 60.0
    right = width - (52.0 if line is not None else 16.0)
    top = 48.0
    band = (right - left) / max(1, n)
    shown = [_short(c) for c in categories]
    longest = max((_text_width(s, 10) for s in shown), default=0.0)
    rotate = longest > band * 0.9
    bottom_margin = min(96.0, 22.0 + longest * 0.71) if rotate else 34.0
    bottom = height - bottom_margin
    plot_h = bottom - top

    totals = [sum(float(s.values[i]) for s in stacks) for i in range(n)]
    y_ticks = nice_ticks(max(totals, default=0.0), integer=True)
    y_max = y_ticks[-1]

    def y_of(value: float) -> float:
        return bottom - value / y_max * plot_h

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'font-family="{esc(_FONT)}" style="max-width:100%;height:auto">',
        f'<title id="{ident}-t">{esc(title)}</title>',
    ]
    names = " and ".join(s.name for s in stacks)
    desc = f"{axis_label} per category ({n}), {'stacked: ' if len(stacks) > 1 else ''}{names}"
    if line is not None:
        desc += f"; line: {line.name} on the right-hand axis ({line.axis_label})"
    parts.append(f'<desc id="{ident}-d">{esc(desc)}.</desc>')
    parts.append(
        f'<text x="{_num((left + right) / 2)}" y="17" text-anchor="middle" font-size="13" '
        f'font-weight="600" fill="{_TEXT}">{esc(title)}</text>'
    )

    # grid and left axis
    for tick in y_ticks:
        y = _num(y_of(tick))
        parts.append(
            f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{y}" y2="{y}" stroke="{_GRID}"/>'
        )
        parts.append(
            f'<text x="{_num(left - 6)}" y="{y}" dy="0.32em" text-anchor="end" font-size="10" '
            f'fill="{_MUTED}">{esc(_tick_label(tick))}</text>'
        )
    mid = _num((top + bottom) / 2)
    parts.append(
        f'<text transform="translate(14 {mid}) rotate(-90)" text-anchor="middle" font-size="11" '
        f'fill="{_TEXT}">{esc(axis_label)}</text>'
    )

    # bars, one group per category with a tooltip
    bar_w = min(MAX_BAR_WIDTH, max(1.0, band * 0.8))
    for i, category in enumerate(categories):
        x = left + i * band + (band - bar_w) / 2
        tip = ", ".join(f"{_value(float(s.values[i]))} {s.name}" for s in stacks)
        if line is not None:
            tip += f", {line.name} {_value(float(line.values[i]))}{line.unit}"
        parts.append(f'<g class="bar"><title>{esc(category)}: {esc(tip)}</title>')
        base = 0.0
        for series in stacks:
            value = float(series.values[i])
            if value > 0:
                parts.append(
                    f'<rect data-series="{esc(series.name)}" x="{_num(x)}" '
                    f'y="{y_of(base + value):.2f}" width="{_num(bar_w)}" '
                    f'height="{value / y_max * plot_h:.2f}" fill="{esc(series.colour)}"/>'
                )
            base += value
        parts.append("</g>")
    parts.append(
        f'<line x1="{_num(left)}" x2="{_num(right)}" y1="{_num(bottom)}" y2="{_num(bottom)}" '
        f'stroke="{_AXIS}"/>'
    )

    # category labels
    for i, label in enumerate(shown):
        cx = _num(left + (i + 0.5) * band)
        ty = _num(bottom + 14)
        if rotate:
            parts.append(
                f'<text transform="translate({cx} {ty}) rotate(-45)" text-anchor="end" '
                f'font-size="10" fill="{_TEXT}">{esc(label)}</text>'
            )
        else:
            parts.append(
                f'<text x="{cx}" y="{ty}" text-anchor="middle" font-size="10" '
                f'fill="{_TEXT}">{esc(label)}</text>'
            )

    # the line on the right-hand axis
    if line is not None:
        r_ticks = nice_ticks(max((float(v) for v in line.values), default=0.0))
        r_max = r_ticks[-1]
        for tick in r_ticks:
            parts.append(
                f'<text x="{_num(right + 6)}" y="{_num(bottom - tick / r_max * plot_h)}" '
                f'dy="0.32em" font-size="10" fill="{_MUTED}">'
                f"{esc(_tick_label(tick, line.unit))}</text>"
            )
        parts.append(
            f'<line x1="{_num(right)}" x2="{_num(right)}" y1="{_num(top)}" '
            f'y2="{_num(bottom)}" stroke="{_AXIS}"/>'
        )
        parts.append(
            f'<text transform="translate({width - 8} {mid}) rotate(90)" text-anchor="middle" '
            f'font-size="11" fill="{_TEXT}">{esc(line.axis_label)}</text>'
        )
        points = [
            (left + (i + 0.5) * band, bottom - float(v) / r_max * plot_h)
            for i, v in enumerate(line.values)
        ]
        colour = esc(line.colour)
        if len(points) > 1:
            path = " ".join(f"{_num(px)},{_num(py)}" for px, py in points)
            parts.append(
                f'<polyline data-series="{esc(line.name)}" points="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"/>'
            )
        parts += [
            f'<circle cx="{_num(px)}" cy="{_num(py)}" r="2.5" fill="{colour}"/>'
            for px, py in points
        ]

    # legend, right-aligned above the plot
    entries: list[tuple[str, str, bool]] = [(s.name, s.colour, False) for s in stacks]
    if line is not None:
        entries.append((line.name, line.colour, True))
    x = right
    legend: list[str] = []
    for name, colour, is_line in reversed(entries):
        x -= _text_width(name, 11) + 18
        if is_line:
            legend.append(
                f'<line x1="{_num(x)}" x2="{_num(x + 12)}" y1="35" y2="35" '
                f'stroke="{esc(colour)}" stroke-width="1.5"/>'
                f'<circle cx="{_num(x + 6)}" cy="35" r="2.5" fill="{esc(colour)}"/>'
            )
        else:
            legend.append(
                f'<rect x="{_num(x + 1)}" y="30" width="10" height="10" fill="{esc(colour)}"/>'
            )
        legend.append(
            f'<text x="{_num(x + 16)}" y="35" dy="0.32em" font-size="11" '
            f'fill="{_TEXT}">{esc(name)}</text>'
        )
        x -= 8
    parts.append('<g class="legend">' + "".join(legend) + "</g>")
    parts.append("</svg>")
    return "".join(parts)
