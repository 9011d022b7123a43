"""The deterministic promptfoo assertions: each takes the output (and the call's facts) and
returns ``(passed, score, reason)`` before any ``not-`` inversion.

The text metrics follow promptfoo's definitions (as its code computes them, measured side by
side in ``benchmarks/promptfoo_parity.py``): ROUGE-N is the F1 of clipped unigram overlap of the
lower-cased texts; BLEU is 4-gram BLEU with uniform weights over the orders the candidate is
long enough for, clipped counts over several references, the brevity penalty against the
closest reference and a 1e-7 floor on zero precisions; Levenshtein is an edit distance at most
``threshold`` (default 5), via rapidfuzz.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import yaml
from rapidfuzz.distance import Levenshtein

__all__ = [
    "TestError",
    "Verdict",
    "bleu",
    "find_json_values",
    "js_str",
    "levenshtein",
    "rouge_n",
    "schema_problem",
    "split_values",
]

Verdict = tuple[bool, float, str]


class TestError(ValueError):
    """A value promptfoo refuses while grading (its invariant fails): the whole test errors,
    whatever its threshold."""


def js_str(value: Any) -> str:
    """``String(value)`` as JavaScript writes it (``true``, ``null``, ``1``, ``1.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_values(value: Any) -> list[str]:
    """A list value as strings; a string split on commas as promptfoo splits it: fields
    trimmed, empty ones skipped, ``"quoted, fields"`` with ``\\"`` or ``""`` escapes; a
    quoted field not followed by a comma, or never closed, is a :class:`TestError`."""
    if isinstance(value, list):
        return [js_str(v) for v in value]
    text, out, i = str(value), [], 0
    while i < len(text):
        while i < len(text) and (text[i].isspace() or text[i] == ","):
            i += 1
        if i >= len(text):
            break
        if text[i] != '"':
            end = text.find(",", i)
            end = len(text) if end == -1 else end
            out.append(text[i:end].strip())
            i = end
            continue
        field, i, closed = "", i + 1, False
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
                field, i = field + text[i + 1], i + 2
            elif text[i] == '"' and i + 1 < len(text) and text[i + 1] == '"':
                field, i = field + '"', i + 2
            elif text[i] == '"':
                i, closed = i + 1, True
                break
            else:
                field, i = field + text[i], i + 1
        if not closed:
            raise TestError(f"unterminated quoted field in {text!r}")
        out.append(field)
        while i < len(text) and text[i].isspace():
            i += 1
        if i < len(text) and text[i] != ",":
            raise TestError(f"expected a comma after a quoted field in {text!r}")
    return out


def _words(text: str) -> list[str]:
    return text.lower().strip().split()


def _ngrams(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def bleu(candidate: str, references: Sequence[str]) -> float:
    """BLEU-4 of ``candidate`` against ``references`` (lower-cased, split on whitespace); as
    promptfoo: an n-gram order the candidate is too short for is left out (the weights of the
    others renormalised), and of two references equally close in length the shorter counts."""
    if not candidate.strip() or not references:
        return 0.0
    cand = _words(candidate)
    refs = [_words(r) for r in references]
    closest = len(refs[0])
    for ref in refs[1:]:
        d, best = abs(len(ref) - len(cand)), abs(closest - len(cand))
        if d < best or (d == best and len(ref) < closest):
            closest = len(ref)
    logs: list[float] = []
    for n in range(1, 5):
        grams = _ngrams(cand, n)
        total = sum(grams.values())
        if not total:
            continue
        best_clip = max(sum((grams & _ngrams(ref, n)).values()) for ref in refs)
        logs.append(math.log(best_clip / total or 1e-7))
    penalty = 1.0 if len(cand) > closest else math.exp(1 - closest / len(cand))
    return penalty * math.exp(sum(logs) / len(logs))


@lru_cache(maxsize=1)
def _treebank() -> Callable[[str], list[str]]:
    from nltk.tokenize.treebank import (  # type: ignore[import-untyped]  # ~0.3 s: rouge-n only
        TreebankWordTokenizer,
    )

    return TreebankWordTokenizer().tokenize  # type: ignore[no-any-return]


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """ROUGE-N as promptfoo computes it: the F1 of clipped n-gram overlap, both texts
    lower-cased and split by the Penn Treebank word tokenizer (``js-rouge``'s, here nltk's)."""
    tokenize = _treebank()
    cand = _ngrams(tokenize(candidate.lower()), n)
    ref = _ngrams(tokenize(reference.lower()), n)
    overlap = sum((cand & ref).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(cand.values()), overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def levenshtein(output: str, expected: str, threshold: float | None) -> Verdict:
    """Passes when the edit distance is at most ``threshold`` (default 5)."""
    limit = 5.0 if threshold is None else threshold
    distance = Levenshtein.distance(output, expected)
    passed = distance <= limit
    return passed, 1.0 if passed else 0.0, f"Levenshtein distance {distance} > {limit:g}"


#: promptfoo looks at most this far past a ``{`` for its closing brace
_JSON_SPAN = 100_000
#: and llmops tries at most this many candidates per output (promptfoo has no cap)
_JSON_TRIES = 2_000


def find_json_values(text: str) -> list[Any]:
    """The objects promptfoo's ``contains-json`` finds in ``text``: from each ``{``, the span
    to its matching ``}`` (or to the end, the missing braces added) read leniently as YAML
    flow (so ``{broken}`` is an object, as in promptfoo); the next search starts after it."""
    from llmops.errors import LlmopsError
    from llmops.yamlsafe import load_yaml_text  # bounded: depth, aliases, size

    found: list[Any] = []
    i = tries = 0
    while i < len(text) and tries < _JSON_TRIES:
        if text[i] != "{":
            i += 1
            continue
        opened, closed, j = 1, 0, i + 1
        end = min(i + _JSON_SPAN, len(text))
        while j < end and opened > closed:
            opened += text[j] == "{"
            closed += text[j] == "}"
            j += 1
            if opened == closed or j == len(text) or j == i + _JSON_SPAN:
                tries += 1
                try:
                    value = load_yaml_text(text[i:j] + "}" * (opened - closed), "output")[0]
                except (LlmopsError, yaml.YAMLError, ValueError, RecursionError):
                    if opened == closed:
                        break
                    continue
                if isinstance(value, (dict, list)):
                    found.append(value)
                    i = j - 1
                    break
        i += 1
    return found


def schema_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """The first JSON Schema violation of ``value`` (None when it validates)."""
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
    return f"{where}: {errors[0].message}"
