"""The profile workflow proper: options, the result, and :func:`profile_logs`.

:func:`profile_logs` is what the CLI calls and what a library user calls: it streams the logs
(flat memory, both cores on large files), counts requests per feature combination, tests every
segment and pair, and returns a :class:`ProfileResult` that the reporters render. Import it from
:mod:`llmops.workflows.profile`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from llmops._preload import preload
from llmops.errors import InputError
from llmops.language import language_detector_name
from llmops.workflows.profile.analysis import Segment, Thresholds, find_segments, untestable
from llmops.workflows.profile.files import expand_sources, scan_paths
from llmops.workflows.profile.formats import FORMATS, RecordReader
from llmops.workflows.profile.formats_logs import FailureRule, FieldMap
from llmops.workflows.profile.read import Problems, ScanOptions, ScanResult
from llmops.workflows.profile.samples import Samples
from llmops.workflows.profile.shift import (
    Distribution,
    FeatureShift,
    RateChange,
    compare,
    distributions,
    verdict,
)
from llmops.workflows.profile.sources import shown
from llmops.workflows.profile.tally import Tally

__all__ = ["ProfileOptions", "ProfileResult", "profile_logs"]


@dataclass(frozen=True, slots=True)
class ProfileOptions:
    """Everything ``llmops profile`` takes besides the paths."""

    format: str | None = None
    fields: tuple[str, ...] = ()
    fail_if: str | None = None
    detect_language: bool = True
    since: float | None = None
    until: float | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    workers: int | None = None
    max_line_bytes: int = 32 << 20
    #: example inputs kept per segment bin and outcome, for ``--export-cases`` (0: none)
    samples: int = 0
    #: read on this Dask cluster: a scheduler address, or ``"local"`` for a local cluster
    dask: str | None = None
    #: seconds to wait for the Dask scheduler to answer
    dask_timeout: float = 10.0

    def scan_options(self) -> ScanOptions:
        """The scan options these stand for; raises :class:`InputError` for bad values."""
        if self.format is not None and self.format not in FORMATS:
            raise InputError(f"--format {self.format!r}: expected one of {', '.join(FORMATS)}")
        rule = FailureRule.parse(self.fail_if) if self.fail_if else None
        reader = RecordReader(self.format, FieldMap.parse(list(self.fields)), rule)
        return ScanOptions(
            reader, self.detect_language, self.since, self.until, self.max_line_bytes, self.samples
        )


@dataclass(slots=True)
class ProfileResult:
    """What a profile run found, ready for the reporters."""

    sources: list[str]
    requests: int
    failures: int
    lines: int
    bytes_read: int
    records: int
    formats: dict[str, int]
    problems: Problems
    skipped: dict[str, int]
    segments: list[Segment]
    distributions: list[Distribution]
    error_types: dict[str, int]
    fallbacks: dict[str, int]
    latency_ms_log2: dict[str, dict[int, int]]
    mean_output_tokens: float | None
    language_detector: str | None
    thresholds: Thresholds
    shifts: list[FeatureShift] = field(default_factory=list)
    rate_change: RateChange | None = None
    shift_verdict: str | None = None
    time_range: tuple[float, float] | None = None
    #: why no segment could be tested (too few requests or failures), else ``None``
    untestable: str | None = None
    #: example inputs per segment bin (with ``ProfileOptions.samples``), for draft eval cases
    samples: Samples | None = None
    #: set when Ctrl-C stopped the reading: the result covers what was read so far
    interrupted: str | None = None

    @property
    def findings(self) -> list[Segment]:
        """The segments reported as findings, best first."""
        return [s for s in self.segments if s.finding]


def _never() -> bool:
    return False


def _read(
    paths: Sequence[str],
    options: ScanOptions,
    profile: ProfileOptions,
    on_progress: Callable[[int, int], None] | None,
    stop: Callable[[], bool] | None = None,
    on_files: Callable[[int, int], None] | None = None,
) -> tuple[list[str], ScanResult]:
    sizes = expand_sources(paths)
    # the analysis needs scipy.stats (~0.9 s to import): load it while the logs are read; the
    # parent is mostly idle then, as worker processes scan large files
    preload("scipy.stats")
    if profile.dask is not None:
        from llmops.workflows.profile.cluster import scan_on_dask

        result = scan_on_dask(
            sizes, options, profile.dask, timeout=profile.dask_timeout,
            workers=profile.workers, on_progress=on_progress, stop=stop or _never,
            on_files=on_files,
        )  # fmt: skip
    else:
        result = scan_paths(
            list(sizes), options, workers=profile.workers, on_progress=on_progress,
            stop=stop or _never, sizes=sizes, on_files=on_files,
        )  # fmt: skip
    expanded = [shown(path) for path in sizes]
    if result.tally.requests == 0:
        if stop is not None and stop():
            raise KeyboardInterrupt  # stopped before a single call was read: nothing to report
        where = "; ".join(f"{s}:{line}: {k}" for s, line, k in result.problems.examples[:3])
        why = where or ", ".join(f"{k}: {v}" for k, v in result.skipped.items()) or "no lines"
        raise InputError(f"{', '.join(expanded)}: no LLM call could be read ({why})")
    return expanded, result


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    """Most first, ties by name: the same order however the logs were split and merged."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def profile_logs(
    paths: Sequence[str],
    options: ProfileOptions = ProfileOptions(),
    *,
    baseline: Sequence[str] = (),
    on_progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    on_files: Callable[[int, int], None] | None = None,
) -> ProfileResult:
    """Profile the logs at ``paths`` (files, globs, ``.gz``, ``-``, URLs such as ``s3://`` with
    fsspec and the backend installed), optionally against a baseline; with ``options.dask``
    on a Dask cluster, with the same result.

    ``on_progress(bytes_done, bytes_total)`` and ``on_files(files_done, files_total)`` report
    the reading of ``paths`` (not of the baseline) as it goes.

    Once ``stop()`` is true (Ctrl-C) reading ends: the result is what was read so far, marked
    ``interrupted`` (the baseline is then not read).

    Raises :class:`InputError` when a path does not exist or nothing at all could be read.
    """
    scan = options.scan_options()
    sources, result = _read(paths, scan, options, on_progress, stop, on_files)
    tally: Tally = result.tally
    n = tally.requests
    failures = n - sum(c[1] for c in tally.cells.values())
    out = ProfileResult(
        sources=sources, requests=n, failures=failures, lines=result.lines,
        bytes_read=result.bytes_read, records=result.records, formats=dict(sorted(tally.formats.items())),
        problems=result.problems, skipped=_by_count(result.skipped),
        segments=find_segments(tally, options.thresholds), distributions=distributions(tally),
        error_types=_by_count(tally.error_types), fallbacks=_by_count(tally.fallbacks),
        latency_ms_log2={k: dict(sorted(v.items())) for k, v in sorted(tally.latency_ms_log2.items())},
        mean_output_tokens=tally.output_tokens[0] / tally.output_tokens[1] if tally.output_tokens[1] else None,
        language_detector=language_detector_name() if options.detect_language else None,
        thresholds=options.thresholds, untestable=untestable(tally, options.thresholds),
        samples=tally.samples,
        time_range=(tally.first_time, tally.last_time) if tally.first_time is not None and tally.last_time is not None else None,
    )  # fmt: skip
    if stop is not None and stop():
        out.interrupted = f"interrupted after reading {result.bytes_read:,} bytes: partial"
        return out
    if baseline:
        _, base = _read(baseline, scan, options, None)
        out.shifts, out.rate_change = compare(tally, base.tally)
        out.shift_verdict = verdict(out.shifts, out.rate_change)
    return out
