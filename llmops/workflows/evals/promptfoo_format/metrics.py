"""The deterministic promptfoo assertions: each takes the output (and the call's facts) and
returns ``(passed, score, reason)`` before any ``not-`` inversion.

The text metrics follow promptfoo's documented definitions, so verdicts agree with it: ROUGE-N
is unigram recall against the reference (``js-rouge``'s default), BLEU is 4-gram BLEU with
uniform weights, clipped counts over several references, the brevity penalty against the
closest reference and a 1e-7 floor on zero precisions; Levenshtein is an edit distance at
most ``threshold`` (default 5), via rapidfuzz.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

__all__ = [
    "Verdict",
    "bleu",
    "find_json_values",
    "levenshtein",
    "rouge_n",
    "schema_problem",
    "split_values",
]

Verdict = tuple[bool, float, str]


def split_values(value: Any) -> list[str]:
    """A list value as strings; a string split on commas (quotes keep a comma), as promptfoo does."""
    if isinstance(value, list):
        return [str(v) for v in value]
    out = [m.group(1) if m.group(1) is not None else m.group(2) for m in _CSV.finditer(str(value))]
    return [v.strip() for v in out if v.strip()]


_CSV = re.compile(r'\s*(?:"([^"]*)"|([^,]+))\s*(?:,|$)')


def _words(text: str) -> list[str]:
    return text.lower().strip().split()


def _ngrams(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def bleu(candidate: str, references: Sequence[str]) -> float:
    """BLEU-4 of ``candidate`` against ``references`` (lower-cased, split on whitespace)."""
    cand = _words(candidate)
    if not cand or not references:
        return 0.0
    refs = [_words(r) for r in references]
    closest = refs[0]
    for ref in refs[1:]:
        if abs(len(ref) - len(cand)) < abs(len(closest) - len(cand)):
            closest = ref
    log_sum = 0.0
    for n in range(1, 5):
        grams = _ngrams(cand, n)
        total = sum(grams.values())
        best = max(sum((grams & _ngrams(ref, n)).values()) for ref in refs)
        precision = best / total if total else 0.0
        log_sum += 0.25 * math.log(precision or 1e-7)
    penalty = 1.0 if len(cand) > len(closest) else math.exp(1 - len(closest) / len(cand))
    return penalty * math.exp(log_sum)


_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """ROUGE-N recall: the share of the reference's n-grams found in the candidate."""
    ref = _ngrams(_TOKEN.findall(reference), n)
    total = sum(ref.values())
    if not total:
        return 0.0
    return sum((ref & _ngrams(_TOKEN.findall(candidate), n)).values()) / total


def levenshtein(output: str, expected: str, threshold: float | None) -> Verdict:
    """Passes when the edit distance is at most ``threshold`` (default 5)."""
    limit = 5.0 if threshold is None else threshold
    distance = Levenshtein.distance(output, expected)
    passed = distance <= limit
    return passed, 1.0 if passed else 0.0, f"Levenshtein distance {distance} > {limit:g}"


def find_json_values(text: str) -> list[Any]:
    """Every JSON object that parses, starting anywhere in ``text`` (promptfoo's
    ``contains-json`` looks for objects, not bare arrays)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    i = 0
    while True:
        start = text.find("{", i)
        if start == -1:
            return found
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            i = start + 1
            continue
        found.append(value)
        i = end


def schema_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """The first JSON Schema violation of ``value`` (None when it validates)."""
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
    return f"{where}: {errors[0].message}"
