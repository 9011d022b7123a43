"""Parsing of the providers' rate-limit and retry headers.

Pure functions of header values (and, where a header carries an absolute time, the wall-clock
``now`` the caller passes). Each returns ``None`` for a missing or unparseable value, never
raises: a provider's odd header must not fail an otherwise good call.

Header mappings are expected to have lower-case names, as the transport seam guarantees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timezone
from email.utils import parsedate_to_datetime

from llmops.durations import duration_or_none
from llmops.timestamps import parse_iso

__all__ = [
    "parse_duration",
    "parse_int",
    "parse_retry_after",
    "parse_rfc3339",
    "seconds_until",
]


def _finite_seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_int(value: str | None) -> int | None:
    """A non-negative integer header value such as ``x-ratelimit-remaining-requests``."""
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def parse_duration(value: str | None) -> float | None:
    """A Go-style duration as OpenAI sends it (``6m0s``, ``1s``, ``20ms``, ``1h2m3.5s``).

    A bare number is taken as seconds. Returns seconds, or ``None`` for garbage. The grammar is
    :mod:`llmops.durations`'.
    """
    return duration_or_none(value)


def parse_rfc3339(value: str | None) -> float | None:
    """An RFC 3339 timestamp (``2024-05-01T12:00:30Z``) as POSIX seconds, or ``None``.

    The parser is :func:`llmops.timestamps.parse_iso`.
    """
    return parse_iso(value)


def seconds_until(value: str | None, wall_now: float) -> float | None:
    """Seconds from ``wall_now`` until an RFC 3339 time; 0 if it has passed."""
    moment = parse_rfc3339(value)
    if moment is None:
        return None
    return max(0.0, moment - wall_now)


def parse_retry_after(headers: Mapping[str, str], wall_now: float) -> float | None:
    """How long the server asked us to wait, in seconds, or ``None`` if it did not say.

    ``retry-after-ms`` (milliseconds) wins; then ``retry-after`` as seconds or as an HTTP
    date (relative to ``wall_now``, POSIX seconds). Negative waits become 0.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        value = _finite_seconds(ms.strip())
        if value is not None:
            return max(0.0, value / 1000.0)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    value = _finite_seconds(raw)
    if value is not None:
        return max(0.0, value)
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - wall_now)
