"""Flat-memory counters: one cell per combination of binned features, outcome counts inside.

Memory depends on how many distinct feature combinations occur (bounded: numeric features are
binned and categorical values beyond :data:`MAX_CATEGORY_VALUES` per feature become ``(other)``),
never on how many requests were read. Single-feature and pair segments are marginals of this table.

Feature bins (documented in the README, `llmops profile`): length in characters <500, 500-2,000, >2,000;
characters, words and estimated tokens in log2 bins (bin k holds values 2^(k-1)…2^k - 1, bin 0 is
empty text); lines 1, 2-5, 6-20, >20; non-ASCII share 0, ≤10%, 10-50%, >50%; informal markers 0,
1-2, 3+; conversation turns 1, 2-5, 6-20, >20; code yes/no; language, model and feature as they
are. ``-1`` (and ``None`` for categories) means the log does not say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmops.core.textprofile import Measured, TextProfile
from llmops.workflows.profile.calls import OUTCOMES, Call
from llmops.workflows.profile.samples import Samples

__all__ = ["FEATURES", "MAX_CATEGORY_VALUES", "N_COUNTERS", "OTHER", "Tally"]

#: feature names, in the order of a cell key
FEATURES = (
    "length",
    "chars",
    "words",
    "lines",
    "tokens",
    "code",
    "language",
    "non_ascii",
    "informal",
    "turns",
    "model",
    "feature",
)
#: counters per cell: requests, one per outcome class, retried
N_COUNTERS = 2 + len(OUTCOMES)
_OUTCOME_INDEX = {name: i + 1 for i, name in enumerate(OUTCOMES)}
_RETRIED = N_COUNTERS - 1
#: distinct values kept per categorical feature (model, feature) before ``(other)``
MAX_CATEGORY_VALUES = 200
#: the value standing for every categorical value past :data:`MAX_CATEGORY_VALUES`
OTHER = "(other)"

Key = tuple[Any, ...]


def _cap(value: object, seen: dict[str, None]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):  # a log may hold a number, a list, an object here
        value = str(value)
    if value in seen:
        return value
    if len(seen) < MAX_CATEGORY_VALUES:
        seen[value] = None
        return value
    return OTHER


def _adopt(mine: dict[str, None], theirs: dict[str, None]) -> set[str]:
    """Take the values a later part kept, in the order it first saw them, while there is room;
    return those that become :data:`OTHER`.

    So the kept values are the first :data:`MAX_CATEGORY_VALUES` of the whole input in reading
    order, as in one pass: a value the part itself counted as ``(other)`` came after 200 of its
    own distinct values, so after 200 of the whole input's too.
    """
    dropped: set[str] = set()
    for value in theirs:
        if value in mine:
            continue
        if len(mine) < MAX_CATEGORY_VALUES:
            mine[value] = None
        else:
            dropped.add(value)
    return dropped


def _relabel(models: set[str], features: set[str]) -> Callable[[Key], Key]:
    """A cell key with the model and feature values in ``models``/``features`` as OTHER."""
    m, f = FEATURES.index("model"), FEATURES.index("feature")

    def relabel(key: Key) -> Key:
        if key[m] not in models and key[f] not in features:
            return key
        out = list(key)
        out[m] = OTHER if key[m] in models else key[m]
        out[f] = OTHER if key[f] in features else key[f]
        return tuple(out)

    return relabel


@dataclass(slots=True)
class Tally:
    """Counts per feature-combination cell plus run-wide outcome details."""

    cells: dict[Key, list[int]] = field(default_factory=dict)
    error_types: dict[str, int] = field(default_factory=dict)
    fallbacks: dict[str, int] = field(default_factory=dict)
    latency_ms_log2: dict[str, dict[int, int]] = field(default_factory=dict)
    output_tokens: list[int] = field(default_factory=lambda: [0, 0])
    formats: dict[str, int] = field(default_factory=dict)
    first_time: float | None = None
    last_time: float | None = None
    #: example inputs per bin (only with ``--export-cases``)
    samples: Samples | None = None
    #: the model and feature values kept so far, in the order first seen
    _models: dict[str, None] = field(default_factory=dict)
    _features: dict[str, None] = field(default_factory=dict)

    def add(self, profile: TextProfile, call: Call) -> None:
        """Count one complete call."""
        self.add_measured(
            (
                profile.chars,
                profile.words,
                profile.lines,
                profile.token_estimate,
                profile.has_code,
                profile.language,
                profile.non_ascii_share,
                profile.informal_markers,
            ),
            call,
        )

    def add_measured(self, measured: Measured, call: Call) -> Key:
        """Count one complete call whose input was measured by :func:`measure_text`; return
        its cell key."""
        chars, words, lines, tokens, has_code, language, share, informal = measured
        turns = call.turns
        key = (
            0 if chars < 500 else 1 if chars <= 2000 else 2,
            chars.bit_length(),
            words.bit_length(),
            0 if lines <= 1 else 1 if lines <= 5 else 2 if lines <= 20 else 3,
            tokens.bit_length(),
            has_code,
            language,
            -1 if share < 0 else 0 if share == 0 else 1 if share <= 0.1 else 2 if share <= 0.5 else 3,
            -1 if informal < 0 else 0 if informal == 0 else 1 if informal <= 2 else 2,
            -1 if turns is None else 0 if turns <= 1 else 1 if turns <= 5 else 2 if turns <= 20 else 3,
            _cap(call.model, self._models),
            _cap(call.feature, self._features),
        )  # fmt: skip
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = [0] * N_COUNTERS
        cell[0] += 1
        outcome = call.outcome or "error"
        cell[_OUTCOME_INDEX.get(outcome, 3)] += 1
        if call.retried:
            cell[_RETRIED] += 1
        if outcome != "ok":
            kind = call.error_type or outcome
            if call.status is not None and call.status >= 400:
                kind = f"{kind} ({call.status})"
            self.error_types[kind] = self.error_types.get(kind, 0) + 1
        if call.fallback is not None:
            self.fallbacks[call.fallback] = self.fallbacks.get(call.fallback, 0) + 1
        if call.latency_s is not None and call.latency_s >= 0:
            hist = self.latency_ms_log2.setdefault("ok" if outcome == "ok" else "failed", {})
            b = int(call.latency_s * 1000).bit_length()
            hist[b] = hist.get(b, 0) + 1
        if call.output_tokens is not None:
            self.output_tokens[0] += call.output_tokens
            self.output_tokens[1] += 1
        if call.time is not None:
            if self.first_time is None or call.time < self.first_time:
                self.first_time = call.time
            if self.last_time is None or call.time > self.last_time:
                self.last_time = call.time
        return key

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts into this tally: exactly the counts of reading this tally's
        input and then ``other``'s in one pass (merge parts in reading order)."""
        models = _adopt(self._models, other._models)
        features = _adopt(self._features, other._features)
        relabel = _relabel(models, features) if models or features else None
        for key, counts in other.cells.items():
            if relabel is not None:
                key = relabel(key)
            cell = self.cells.get(key)
            if cell is None:
                self.cells[key] = list(counts)
            else:
                for i, c in enumerate(counts):
                    cell[i] += c
        for mine, theirs in (
            (self.error_types, other.error_types),
            (self.fallbacks, other.fallbacks),
            (self.formats, other.formats),
        ):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        for name, hist in other.latency_ms_log2.items():
            into = self.latency_ms_log2.setdefault(name, {})
            for b, c in hist.items():
                into[b] = into.get(b, 0) + c
        if other.samples is not None:
            if self.samples is None:
                self.samples = Samples(other.samples.k)
            self.samples.merge(other.samples, relabel)
        self.output_tokens[0] += other.output_tokens[0]
        self.output_tokens[1] += other.output_tokens[1]
        times = [t for t in (self.first_time, other.first_time) if t is not None]
        self.first_time = min(times) if times else None
        times = [t for t in (self.last_time, other.last_time) if t is not None]
        self.last_time = max(times) if times else None

    @property
    def requests(self) -> int:
        """Requests counted."""
        return sum(cell[0] for cell in self.cells.values())

    def marginal(self, features: tuple[int, ...]) -> dict[Key, list[int]]:
        """Counts summed over every feature not in ``features`` (indices into :data:`FEATURES`)."""
        out: dict[Key, list[int]] = {}
        for key, counts in self.cells.items():
            sub = tuple(key[i] for i in features)
            cell = out.get(sub)
            if cell is None:
                out[sub] = list(counts)
            else:
                for i, c in enumerate(counts):
                    cell[i] += c
        return out
