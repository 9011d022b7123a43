"""The one time parser: ISO-8601 / RFC 3339 text, or epoch numbers, to POSIX seconds.

- :func:`parse_iso`: ``2025-03-01T10:00:00Z``, ``2025-03-01 10:00:00.123+02:00``,
  ``2025-03-01`` (midnight); a trailing ``Z`` is UTC, a time without a zone is UTC too, and
  fractions finer than microseconds (``.123456789``, as some headers send) are cut to six
  digits. Used for log records, the providers' reset headers and command-line times.
- :func:`parse_time`: a log record's time field, text or number; numbers are epoch seconds,
  milliseconds, microseconds or nanoseconds, told apart by size.
- :func:`as_float`: a float from a number or numeric string.
- :func:`iso_utc`: the other way: POSIX seconds as ISO-8601 UTC text (reports' times).

Each returns ``None`` for what it cannot read, never raises: the caller decides whether that is
an error (a command-line option) or a value to skip (a log field, a header).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["as_float", "iso_utc", "parse_iso", "parse_time"]


def iso_utc(seconds: float) -> str:
    """POSIX ``seconds`` as ISO-8601 UTC to the second (``2025-03-01T10:00:00+00:00``)."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


# Python 3.10's fromisoformat takes at most six fractional digits
_FRACTION = re.compile(r"(\.\d{6})\d+")


def as_float(value: Any) -> float | None:
    """A float from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def parse_iso(text: str | None) -> float | None:
    """POSIX seconds of an ISO-8601 date or date-time (UTC unless it names a zone), or None."""
    if text is None:
        return None
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_time(value: Any) -> float | None:
    """Epoch seconds from ISO-8601 text or a number (seconds, ms, µs or ns, told apart by size)."""
    if isinstance(value, str):
        stamp = parse_iso(value)
        if stamp is not None:
            return stamp
    number = as_float(value)
    if number is None or number <= 0:
        return None
    while number > 1e11:  # ms, µs, ns -> s
        number /= 1000.0
    return number
