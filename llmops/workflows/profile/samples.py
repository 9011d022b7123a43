"""A few real inputs per segment bin, in bounded memory and mergeable across worker processes.

Kept only when asked for (``llmops profile --export-cases``): for every tested feature's bin and
each outcome (failed, passed) a bottom-k sample — each input gets a priority and the ``k``
lowest priorities are kept. The priority is a hash of the input's text, uniform but the same
wherever the input is read (ties, the same text in different cells, go by the cell), and a
repeated input is kept once per cell: so bottom-k samples merge exactly (the ``k`` lowest of two
samples are the ``k`` lowest of their union), in any order, and a scan split over processes or
Dask tasks keeps the inputs a serial scan keeps.
Memory: ``k`` inputs (of at most :data:`MAX_SAMPLE_CHARS` characters) per bin and outcome.
A finding of two conditions draws from the bins of its first condition, keeping the inputs
whose cell also meets the second.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_SAMPLE_CHARS", "SAMPLED_FEATURES", "Sample", "Samples"]

#: inputs longer than this are not kept as examples (memory stays bounded)
MAX_SAMPLE_CHARS = 20_000
#: indices into :data:`llmops.workflows.profile.tally.FEATURES` of the bins sampled: length,
#: chars, lines, code, language, non-ASCII share, informal markers, turns, feature (the tested
#: single features)
SAMPLED_FEATURES = (0, 1, 3, 5, 6, 7, 8, 9, 11)


@dataclass(frozen=True, slots=True)
class Sample:
    """One kept input: its text, its tally cell key and whether the call failed."""

    text: str
    key: tuple[Any, ...]
    failed: bool


@dataclass(slots=True)
class Samples:
    """Bottom-k samples of inputs per (feature index, bin value, failed)."""

    k: int = 3
    #: per bucket a max-heap on priority, stored as ``(-priority, text, repr(key), key)``
    #: (``repr``: keys mix ``None`` and strings, which do not compare)
    buckets: dict[tuple[int, Any, bool], list[tuple[float, str, str, tuple[Any, ...]]]] = field(
        default_factory=dict
    )

    def add(self, text: str, key: tuple[Any, ...], failed: bool) -> None:
        """Offer one input (its cell ``key`` from the tally) to every bin it falls in."""
        if len(text) > MAX_SAMPLE_CHARS or not text.strip():
            return
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        priority = int.from_bytes(digest, "big") / 2.0**64
        shown = repr(key)
        for index in SAMPLED_FEATURES:
            self._offer((index, key[index], failed), priority, text, key, shown)

    def _offer(
        self,
        bucket: tuple[int, Any, bool],
        priority: float,
        text: str,
        key: tuple[Any, ...],
        shown: str | None = None,
    ) -> None:
        """Offer one input to one bucket; ``shown`` is ``repr(key)`` when the caller has it."""
        heap = self.buckets.get(bucket)
        if heap is None:
            heap = self.buckets[bucket] = []
        entry = (-priority, text, repr(key) if shown is None else shown, key)
        if entry in heap:  # the same input again (or, merging, kept by both sides)
            return
        if len(heap) < self.k:
            heapq.heappush(heap, entry)
        elif heap[0] < entry:  # a lower priority than the highest kept (ties: by text)
            heapq.heapreplace(heap, entry)

    def merge(
        self, other: Samples, relabel: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    ) -> None:
        """Fold ``other``'s samples in: the ``k`` lowest priorities of both are kept.
        ``relabel`` maps ``other``'s cell keys to this side's (values become ``(other)``)."""
        for (index, value, failed), heap in other.buckets.items():
            for neg, text, shown, key in heap:
                if relabel is not None:
                    key = relabel(key)
                    value = key[index]
                    shown = repr(key)
                self._offer((index, value, failed), -neg, text, key, shown)

    def inputs(self, index: int, failed: bool) -> list[Sample]:
        """Every kept input of feature ``index``'s bins with that outcome, lowest priority first."""
        out = [
            ((-neg, text, shown), Sample(text, key, failed))
            for (i, _value, f), heap in self.buckets.items()
            if i == index and f == failed
            for neg, text, shown, key in heap
        ]
        return [s for _, s in sorted(out, key=lambda pair: pair[0])]
