"""promptfoo assertions as written: the mapping form, the CSV ``__expected`` string form, and
the checks made when a config is loaded (known type, needed value, regex compiles, files exist).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops.errors import did_you_mean

__all__ = [
    "COMPARATIVE",
    "DETERMINISTIC",
    "MODEL_GRADED",
    "SCRIPTED",
    "Assertion",
    "assertion_from_string",
    "base_type",
    "problem_of",
    "script_function",
    "script_path",
]

#: judged from the output (and the call's latency, cost, logprobs) alone
DETERMINISTIC = (
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "starts-with", "regex", "is-json", "contains-json", "levenshtein",
    "rouge-n", "bleu", "latency", "cost", "perplexity", "perplexity-score",
)  # fmt: skip
#: graded by a model through the engine (``similar`` through an embeddings call)
MODEL_GRADED = (
    "llm-rubric", "model-graded-closedqa", "factuality", "g-eval", "answer-relevance",
    "context-faithfulness", "context-recall", "context-relevance", "similar",
)  # fmt: skip
#: user code: JavaScript in Node.js, Python in this process
SCRIPTED = ("javascript", "python")
#: graded across the outputs of one test (its prompts), after the run, by the grader model
COMPARATIVE = ("select-best",)
_ALL = (*DETERMINISTIC, *MODEL_GRADED, *SCRIPTED, *COMPARATIVE)
_NO_VALUE = {"is-json", "contains-json", "latency", "cost", "perplexity", "perplexity-score"}
_NO_VALUE |= {"answer-relevance", "context-faithfulness", "context-relevance"}
_THRESHOLD_NEEDED = {"latency", "cost"}
_KEYS = {
    "type", "value", "threshold", "weight", "metric", "transform", "provider", "rubricPrompt",
    "contextTransform", "config", "assert", "description",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Assertion:
    """One assertion (or ``assert-set``) of a test, with where it was written."""

    type: str
    value: Any = None
    threshold: float | None = None
    weight: float = 1.0
    metric: str | None = None
    transform: str | None = None
    rubric_prompt: Any = None
    context_transform: str | None = None
    children: tuple[Assertion, ...] = ()
    where: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inverse(self) -> bool:
        """A ``not-`` assertion: passes when its base type fails."""
        return self.type.startswith("not-")

    @property
    def base(self) -> str:
        return base_type(self.type)


def base_type(kind: str) -> str:
    """``not-contains`` as ``contains``."""
    return kind.removeprefix("not-")


_STRING_FORM = re.compile(r"^(not-)?([a-z][a-z0-9-]*)(?:\(([\d.]+)\))?(?::(.*))?$", re.S)
_ALIASES = {"grade": "llm-rubric", "fn": "javascript", "eval": "javascript"}


def assertion_from_string(text: str) -> dict[str, Any]:
    """A CSV ``__expected`` cell as an assertion mapping, as promptfoo reads it:
    ``contains:foo``, ``not-icontains:bar``, ``similar(0.8):text``, ``grade:rubric``,
    ``javascript:expr``, ``python:expr``, ``is-json``; anything else is ``equals``."""
    m = _STRING_FORM.match(text.strip())
    if m:
        kind = _ALIASES.get(m.group(2), m.group(2))
        if kind in _ALL and (m.group(4) is not None or kind in _NO_VALUE):
            out: dict[str, Any] = {"type": (m.group(1) or "") + kind}
            if m.group(4) is not None:
                out["value"] = m.group(4)
            if m.group(3):
                out["threshold"] = float(m.group(3))
            return out
    return {"type": "equals", "value": text}


def problem_of(a: Mapping[str, Any], base: Path) -> tuple[str, str] | None:
    """The first problem of assertion mapping ``a`` as (key, message), or None."""
    kind = a.get("type")
    if not isinstance(kind, str):
        return "type", f"got {kind!r}, expected an assertion type such as contains or llm-rubric"
    for key in a:
        if key not in _KEYS:
            return str(key), "unknown key" + did_you_mean(
                str(key), sorted(_KEYS), otherwise=f"; expected one of: {', '.join(sorted(_KEYS))}"
            )
    if kind == "assert-set":
        if not isinstance(a.get("assert"), list) or not a["assert"]:
            return "assert", "an assert-set needs a non-empty list under assert"
        return None
    name = base_type(kind)
    if name not in _ALL:
        hint = did_you_mean(name, list(_ALL), otherwise="")
        return "type", f"assertion type {kind!r} is not supported{hint}"
    value = a.get("value")
    if name in COMPARATIVE and (kind != name or not isinstance(value, str)):
        return "type", f"{name} takes a criteria string as value and has no not- form"
    if value is None and name not in _NO_VALUE:
        return "value", f"{kind} needs a value"
    if name in _THRESHOLD_NEEDED and not isinstance(a.get("threshold"), (int, float)):
        return "threshold", f"{kind} needs a threshold ({'ms' if name == 'latency' else 'USD'})"
    for key in ("threshold", "weight"):
        if key in a and not isinstance(a[key], (int, float)):
            return key, f"got {a[key]!r}, expected a number"
    if name == "regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            return "value", f"got {value!r}, expected a valid regular expression ({exc})"
    for key in ("value", "transform", "contextTransform"):
        ref = a.get(key)
        if (
            isinstance(ref, str)
            and ref.startswith("file://")
            and (name in SCRIPTED or key != "value")
        ):
            path = base / script_path(ref)
            if not path.is_file():
                return key, f"file not found: {path}"
    return None


_SCRIPT_REF = re.compile(r"^(.+\.(?:js|cjs|mjs|py))(?::([A-Za-z_$][\w$]*))?$")


def script_path(ref: str) -> str:
    """The file of ``file://checks.py:fn`` (``checks.py``)."""
    target = ref.removeprefix("file://")
    m = _SCRIPT_REF.match(target)
    return m.group(1) if m else target


def script_function(ref: str) -> str | None:
    """The function of ``file://checks.py:fn`` (``fn``), None when not named."""
    m = _SCRIPT_REF.match(ref.removeprefix("file://"))
    return m.group(2) if m else None
