"""The compiled fast path for OpenAI request/response records, and its Python side.

``_openai_scan`` (C, built from ``_openai_scan.c`` when the package is installed) reads runs of
lines and counts every plainly shaped OpenAI record straight into a :class:`Tally`, stopping at
the first line it declines; :mod:`~llmops.workflows.profile.scan` reads that line the Python way
and calls it again after it. :data:`AVAILABLE` is False where the module could not be built (no C
compiler): the scan then reads every line in Python, with the same results, more slowly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llmops.core import textprofile
from llmops.core.textprofile import (
    CODE_LINE_STARTS,
    INFORMAL_PREFIX_CHARS,
    INFORMAL_PUNCTUATION,
    INFORMAL_WORDS,
    LANGUAGE_PREFIX_CHARS,
    Measured,
    detect_language,
)
from llmops.workflows.profile.calls import OUTCOMES, parse_time
from llmops.workflows.profile.tally import MAX_CATEGORY_VALUES, N_COUNTERS, OTHER

if TYPE_CHECKING:
    from llmops.workflows.profile.scan import ScanOptions, ScanResult

__all__ = ["AVAILABLE", "NativeSink", "measure", "measure_text", "scan"]

_module: Any
try:
    _module = importlib.import_module("llmops.workflows.profile._openai_scan")
except ImportError:  # built without a C compiler
    _module = None
else:
    _module.configure(
        tuple(s.encode() for s in CODE_LINE_STARTS),
        tuple(w.encode() for w in INFORMAL_WORDS),
        INFORMAL_PUNCTUATION.encode(),
        INFORMAL_PREFIX_CHARS,
        LANGUAGE_PREFIX_CHARS,
    )

#: whether the compiled fast path is installed
AVAILABLE = _module is not None


def scan(buf: bytes, start: int, end: int, sink: NativeSink) -> tuple[int, int]:
    """Count lines of ``buf[start:end]`` until one is declined: ``(stop, lines read)``."""
    return _module.scan(buf, start, end, sink)  # type: ignore[no-any-return]


def measure(text: bytes) -> tuple[int, int, int, int, bool, float, int]:
    """The compiled text measures of UTF-8 ``text`` (``measure_text`` without the language)."""
    return _module.measure(text)  # type: ignore[no-any-return]


def measure_text(text: str, detect: bool) -> Measured:
    """:func:`~llmops.core.textprofile.measure_text`, with the compiled measures where built.

    The other log formats' records take this way; the results are the same (the tests compare
    both), about ten times faster.
    """
    if AVAILABLE:
        try:
            raw = text.encode()
        except UnicodeEncodeError:  # a lone surrogate: only the Python measures take it
            pass
        else:
            chars, words, lines, tokens, code, share, informal = measure(raw)
            language = detect_language(text) if detect else None
            return chars, words, lines, tokens, code, language, share, informal
    return textprofile.measure_text(text, detect)


class NativeSink:
    """What the compiled scan counts into: the tally's containers and the scan's settings."""

    __slots__ = (
        "cells",
        "detect",
        "error_index",
        "error_types",
        "features",
        "latency",
        "max_category",
        "max_line",
        "models",
        "n_counters",
        "ok_index",
        "other",
        "parse_time",
        "result",
        "since",
        "sniffing",
        "until",
    )

    def __init__(self, options: ScanOptions, result: ScanResult) -> None:
        tally = result.tally
        self.result = result
        self.cells = tally.cells
        self.error_types = tally.error_types
        self.latency = tally.latency_ms_log2
        self.models = tally._models
        self.features = tally._features
        self.detect = detect_language if options.detect_language else None
        self.parse_time = parse_time
        self.other = OTHER
        self.sniffing = options.reader.forced is None
        self.max_category = MAX_CATEGORY_VALUES
        self.n_counters = N_COUNTERS
        self.ok_index = 1 + OUTCOMES.index("ok")
        self.error_index = 1 + OUTCOMES.index("error")
        self.max_line = options.max_line_bytes
        self.since = options.since
        self.until = options.until

    def add_counts(
        self,
        records: int,
        outside: int,
        tokens_sum: int,
        tokens_n: int,
        times: tuple[float, float] | None,
    ) -> None:
        """Called by the compiled scan with the run-wide counts of one call."""
        result = self.result
        tally = result.tally
        read = records + outside  # records outside the window were read, not counted
        result.records += read
        tally.formats["openai"] = tally.formats.get("openai", 0) + read
        if outside:
            result.skip("outside --since/--until", outside)
        tally.output_tokens[0] += tokens_sum
        tally.output_tokens[1] += tokens_n
        if times is not None:
            first, last = times
            if tally.first_time is None or first < tally.first_time:
                tally.first_time = first
            if tally.last_time is None or last > tally.last_time:
                tally.last_time = last
