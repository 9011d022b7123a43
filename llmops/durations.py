"""The one duration grammar: command-line options, schedules, and the providers' reset headers.

A duration is a plain number of seconds (``90``, ``0.5``), or one or more ``<number><unit>``
parts written together as Go prints them and OpenAI's ``x-ratelimit-reset-*`` headers send them
(``6m0s``, ``1h2m3.5s``, ``1m30s``)::

    unit   ns     us/µs   ms      s    m    h      d       w
    secs   1e-9   1e-6    0.001   1    60   3600   86400   604800

Units are case-insensitive; spaces around the value and between a number and its unit are
allowed (``30 s``), but nothing else (``24 hours`` is not a duration).

:func:`parse_duration` raises :class:`~llmops.errors.InputError` naming the option or key it
was given (``where``), the value and what was expected. :func:`duration_or_none` is for header
values, where a provider's odd value must never fail a call.
"""

from __future__ import annotations

import math
import re

from llmops.errors import InputError

__all__ = ["UNIT_SECONDS", "duration_or_none", "parse_duration"]

#: seconds in one of each unit
UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_PER_SECOND = {"ns": 1e9, "us": 1e6, "µs": 1e6, "ms": 1e3}
# the longest unit names first, so "ms" is never read as "m" + "s"
_PART = re.compile(
    r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(" + "|".join(sorted(UNIT_SECONDS, key=len, reverse=True)) + ")"
)
EXPECTED = "a duration such as 90 (seconds), 500ms, 30s, 1m30s, 24h or 7d"


def _seconds(text: str) -> float | None:
    """The signed number of seconds ``text`` spells, or None when it is not a duration."""
    text = text.strip().lower()
    if not text:
        return None
    try:
        bare = float(text)
    except ValueError:
        pass
    else:
        return bare if math.isfinite(bare) else None
    total = 0.0
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            return None
        number, unit = float(match.group(1)), match.group(2)
        # divided, not multiplied by 0.001, so "9ms" is the float nearest 0.009
        total += number / _PER_SECOND[unit] if unit in _PER_SECOND else number * UNIT_SECONDS[unit]
        pos = match.end()
    return total if pos == len(text) and pos > 0 else None


def parse_duration(text: str, *, where: str = "duration", allow_zero: bool = False) -> float:
    """Seconds in ``text`` (see the module's grammar), more than zero unless ``allow_zero``.

    ``where`` names what the value was given for (``--timeout``, ``schedule.every``) in the
    :class:`~llmops.errors.InputError` raised for anything else.
    """
    seconds = _seconds(text)
    if seconds is None:
        raise InputError(f"{where}: got {text!r}, expected {EXPECTED}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise InputError(f"{where}: got {text!r}, expected a duration of {bound}")
    return seconds


def duration_or_none(value: str | None) -> float | None:
    """Seconds in a header value such as ``6m0s``, or None when missing or not a duration.

    Never raises. A negative plain number (a clock-skewed reset) counts as zero.
    """
    if value is None:
        return None
    seconds = _seconds(value)
    return None if seconds is None else max(0.0, seconds)
