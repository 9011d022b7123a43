"""Per-level measurements: a lean recorder on the hot path, a summary when the level ends.

The recorder keeps counters in plain ints and dicts and every latency in numpy-backed buffers
(8 bytes a sample); nothing is computed until :meth:`LevelRecorder.summary`, which takes exact
percentiles from all samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from llmops.stats.intervals import percentiles
from llmops.workflows.loadtest.record import LevelRecord, LevelResult

__all__ = ["LevelRecorder", "LevelResult", "Samples", "ms_percentiles"]

FloatArray = npt.NDArray[np.float64]
_QS = (50, 90, 95, 99)


class Samples:
    """A growable float64 buffer with ``add`` and ``extend``."""

    __slots__ = ("_buf", "_n")

    def __init__(self, capacity: int = 1024) -> None:
        self._buf: FloatArray = np.empty(max(1, capacity), dtype=np.float64)
        self._n = 0

    def _grow(self, need: int) -> None:
        size = self._buf.size
        while size < need:
            size *= 2
        grown = np.empty(size, dtype=np.float64)
        grown[: self._n] = self._buf[: self._n]
        self._buf = grown

    def add(self, x: float) -> None:
        """Append one sample."""
        n = self._n
        if n == self._buf.size:
            self._grow(n + 1)
        self._buf[n] = x
        self._n = n + 1

    def extend(self, xs: FloatArray) -> None:
        """Append many samples at once."""
        n, k = self._n, xs.size
        if n + k > self._buf.size:
            self._grow(n + k)
        self._buf[n : n + k] = xs
        self._n = n + k

    def __len__(self) -> int:
        return self._n

    def values(self) -> FloatArray:
        """The samples so far (a view: copy it to keep it past further adds)."""
        return self._buf[: self._n]


def ms_percentiles(samples: Samples) -> dict[str, float] | None:
    """p50/p90/p95/p99/max/mean in milliseconds, rounded to 0.01 ms; ``None`` when empty."""
    if not len(samples):
        return None
    return {k: round(v * 1000, 2) for k, v in percentiles(samples.values(), _QS).items()}


class LevelRecorder:
    """What one level measured so far. The runner calls :meth:`success`, :meth:`failure` and
    :meth:`attempt` on the hot path; everything else happens once, in :meth:`summary`."""

    def __init__(self, stream: bool = False, *, open_loop: bool = False) -> None:
        self.stream = stream
        self.open_loop = open_loop
        self.requests = 0
        self.ok = 0
        self.degraded = 0
        self.output_tokens = 0
        self.attempts = 0
        self.upstream_ok = 0
        self.failures: dict[str, int] = {}
        self.causes: dict[str, int] = {}
        #: requests our own circuit breaker refused (failed or answered by a fallback)
        self.refusals = 0
        self.upstream_errors: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.latency = Samples()
        self.service = Samples()
        self.queue_wait = Samples()
        self.ttft = Samples() if stream else None
        self.itl = Samples() if stream else None
        self.tpot = Samples() if stream else None
        self.latency_sum = 0.0
        #: the highest per-minute limits the provider advertised in its rate-limit headers
        self.advertised: dict[str, int] = {}

    def advertise(self, requests_per_minute: int | None, tokens_per_minute: int | None) -> None:
        """Limits a response's rate-limit headers advertised (``None`` when absent)."""
        for key, value in (("requests_per_minute", requests_per_minute),
                           ("tokens_per_minute", tokens_per_minute)):  # fmt: skip
            if value is not None and value > self.advertised.get(key, 0):
                self.advertised[key] = value

    def success(self, latency_s: float, output_tokens: int, degraded: bool = False) -> None:
        """One request answered by the model; with ``degraded``, by the feature's fallback
        instead (not a success: counted apart, its latency not among the model's)."""
        self.requests += 1
        self.latency_sum += latency_s
        if degraded:
            self.degraded += 1
            return
        self.ok += 1
        self.latency.add(latency_s)
        self.output_tokens += output_tokens

    def failure(self, error_class: str, latency_s: float) -> None:
        """One request the user saw fail, by the class of its final error."""
        self.requests += 1
        self.latency_sum += latency_s
        self.failures[error_class] = self.failures.get(error_class, 0) + 1

    def cause(self, text: str, refused: bool = False) -> None:
        """The upstream cause (in words) behind one failure or degraded answer; ``refused``
        when the engine's own breaker refused the request (no attempt was made)."""
        self.causes[text] = self.causes.get(text, 0) + 1
        if refused:
            self.refusals += 1

    def attempt(self, status: int | None, error_class: str | None) -> None:
        """One upstream attempt: its HTTP status (``None`` when none came) and error class."""
        self.attempts += 1
        if error_class is None:
            self.upstream_ok += 1
        else:
            self.upstream_errors[error_class] = self.upstream_errors.get(error_class, 0) + 1
        if status is not None:
            key = str(status)
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def stream_timing(
        self, ttft_s: float | None, chunk_times_s: list[float], total_s: float
    ) -> None:
        """TTFT, inter-token gaps and time per output token of one streamed answer."""
        if self.ttft is None or self.itl is None or self.tpot is None or ttft_s is None:
            return
        self.ttft.add(ttft_s)
        n = len(chunk_times_s)
        if n > 1:
            self.itl.extend(np.diff(np.asarray(chunk_times_s, dtype=np.float64)))
            self.tpot.add((chunk_times_s[-1] - ttft_s) / (n - 1))
        elif total_s > ttft_s:
            self.tpot.add(total_s - ttft_s)

    @property
    def successes(self) -> int:
        """Requests the model answered (a fallback's answer is not one)."""
        return self.ok

    def current_p99_s(self) -> float | None:
        """p99 of successful latencies so far (for the live display)."""
        n = len(self.latency)
        if not n:
            return None
        return float(np.percentile(self.latency.values(), 99))

    def record(
        self,
        *,
        load: float = 0.0,
        start: float | None,
        end: float,
        steady_end: float | None = None,
        ends: FloatArray | None = None,
        **extra: Any,
    ) -> LevelRecord:
        """What was recorded, as a :class:`LevelRecord` (a copy: recording may go on). The
        times are the caller's (wall-clock seconds when records are to be merged)."""
        return LevelRecord(
            load=load,
            open_loop=self.open_loop,
            stream=self.stream,
            requests=self.requests,
            ok=self.ok,
            degraded=self.degraded,
            output_tokens=self.output_tokens,
            attempts=self.attempts,
            upstream_ok=self.upstream_ok,
            refusals=self.refusals,
            latency_sum=self.latency_sum,
            failures=dict(self.failures),
            causes=dict(self.causes),
            upstream_errors=dict(self.upstream_errors),
            statuses=dict(self.statuses),
            advertised=dict(self.advertised),
            latency=self.latency.values().copy(),
            service=self.service.values().copy(),
            queue_wait=self.queue_wait.values().copy(),
            ttft=None if self.ttft is None else self.ttft.values().copy(),
            itl=None if self.itl is None else self.itl.values().copy(),
            tpot=None if self.tpot is None else self.tpot.values().copy(),
            ends=np.empty(0, dtype=np.float64) if ends is None else ends,
            start=start,
            end=end,
            steady_end=steady_end,
            **extra,
        )

    def summary(self, load: float, elapsed_s: float) -> LevelResult:
        """The :class:`LevelResult` of what was recorded, as over a window of ``elapsed_s``
        (through :meth:`LevelRecord.summary`, the one summary path)."""
        return self.record(start=0.0, end=elapsed_s, load=load).summary()
