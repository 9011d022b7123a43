"""Latency percentiles, binomial confidence intervals and a compact latency recorder."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

DEFAULT_QUANTILES: tuple[float, ...] = (50, 90, 95, 99)


def _key(q: float) -> str:
    return f"p{q:g}"


def percentiles(
    samples: Sequence[float] | FloatArray,
    qs: Sequence[float] = DEFAULT_QUANTILES,
) -> dict[str, float]:
    """Exact percentiles of all ``samples``, plus ``"max"`` and ``"mean"``; ``{}`` when empty.

    Keys are ``"p50"``, ``"p90"``, ``"p99.9"``… (``q`` formatted with ``:g``). Computed with
    numpy's ``"linear"`` method (its default, type 7 of Hyndman & Fan): between two samples the
    value is interpolated, so a percentile may be a value no call actually took.
    """
    data = np.asarray(samples, dtype=np.float64)
    if data.size == 0:
        return {}
    values = np.percentile(data, list(qs), method="linear")
    result = {_key(q): float(v) for q, v in zip(qs, values, strict=True)}
    result["max"] = float(data.max())
    result["mean"] = float(data.mean())
    return result


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``successes / n`` (95% for ``z=1.96``).

    Unlike the normal approximation it stays inside [0, 1] and behaves at 0/n and n/n.
    ``n == 0`` gives ``(0.0, 1.0)``: nothing is known.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return (low, high)


class LatencyRecorder:
    """Samples (e.g. latencies in seconds) in a growable float64 buffer: ~8 bytes per sample."""

    def __init__(self, initial_capacity: int = 1024) -> None:
        self._buf: FloatArray = np.empty(max(1, initial_capacity), dtype=np.float64)
        self._n = 0

    def add(self, x: float) -> None:
        """Append one sample, doubling the buffer when it is full."""
        if self._n == self._buf.size:
            grown = np.empty(self._buf.size * 2, dtype=np.float64)
            grown[: self._n] = self._buf
            self._buf = grown
        self._buf[self._n] = x
        self._n += 1

    def __len__(self) -> int:
        return self._n

    def values(self) -> FloatArray:
        """The samples so far, in order, as a read-only array (a snapshot: later adds don't show)."""
        view = self._buf[: self._n]
        view.flags.writeable = False
        return view

    def percentiles(self, qs: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, float]:
        """:func:`percentiles` of the samples so far."""
        return percentiles(self.values(), qs)
