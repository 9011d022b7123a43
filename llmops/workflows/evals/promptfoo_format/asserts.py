"""Grading one output against a promptfoo test's assertions, with promptfoo's semantics.

Each assertion gives ``(pass, score, reason)``; ``not-`` inverts the verdict (and a score in
[0, 1] becomes ``1 - score``). A test's score is the weighted mean of its assertions' scores;
it passes when every assertion passes (a weight-0 assertion is recorded but never fails, as in
promptfoo), or, when the test sets a ``threshold``, when its score reaches it. What promptfoo
refuses while grading (a malformed comma-separated list, a perplexity without logprobs) errors
the whole test, whatever its threshold. An ``assert-set`` is graded the same way, as one
assertion of its test. ``transform`` runs before grading: the test's ``options.transform`` on
the output for all assertions, an assertion's own ``transform`` for that one alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llmops.errors import InputError
from llmops.workflows.evals.promptfoo_format import metrics
from llmops.workflows.evals.promptfoo_format.metrics import TestError
from llmops.workflows.evals.promptfoo_format.scripts import (
    ScriptError,
    run_javascript,
    run_python,
)
from llmops.workflows.evals.promptfoo_format.spec import COMPARATIVE, MODEL_GRADED, Assertion
from llmops.workflows.evals.promptfoo_format.templates import Filters, TemplateProblem, render
from llmops.workflows.evals.records import CheckVerdict

__all__ = ["CallFacts", "Graded", "grade_test", "script_verdict", "transform_output"]

Verdict = tuple[bool, float, str]
#: (assertion, output, facts) -> verdict, for the model-graded types
ModelGrader = Callable[[Assertion, str, "CallFacts"], Awaitable[Verdict]]


@dataclass(slots=True)
class CallFacts:
    """What grading may read besides the output: the test, the prompt, the call's numbers."""

    vars: Mapping[str, Any]
    prompt: str
    base: Path
    description: str | None = None
    latency_ms: float | None = None
    cost: float | None = None
    cost_note: str = ""
    logprobs: Sequence[float] | None = None
    #: why there are no logprobs, for a perplexity assertion's reason
    logprobs_note: str = "the response carried no token logprobs"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: the engine's clock: JavaScript waits through :func:`llmops.engine.clock.run_blocking`
    clock: object = None
    #: the config's ``nunjucksFilters``, for assertion values
    filters: Filters = ()

    def context(self) -> dict[str, Any]:
        """The ``context`` argument of JavaScript and Python code (as promptfoo passes it)."""
        return {
            "vars": dict(self.vars),
            "prompt": self.prompt,
            "test": {"vars": dict(self.vars), "description": self.description,
                     "metadata": dict(self.metadata)},
            "logProbs": list(self.logprobs) if self.logprobs is not None else None,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Graded:
    """A test's verdicts (one per assertion), its score and whether it passed."""

    verdicts: list[CheckVerdict]
    score: float
    passed: bool
    #: set when an assertion errored the whole test (as promptfoo's failed invariants do)
    error: str | None = None


def script_verdict(
    result: Any, threshold: float | None, inverse: bool = False, *, python: bool = False
) -> Verdict:
    """A script's return value: bool, a score (passes above 0, or at ``threshold``), or a
    ``{pass, score, reason}`` mapping. ``inverse`` (``not-``) flips the verdict as promptfoo
    does: a bool's score follows the flipped verdict, a returned score is kept as it is. As in
    promptfoo, only Python's mappings are held to ``threshold``, and Python may return its
    result as text (``"true"``, ``"0.8"``, ``'{"pass": ...}'``)."""
    if python and isinstance(result, str):
        result = _python_text_result(result)
    if isinstance(result, bool):
        passed = result != inverse
        return passed, float(passed), "" if passed else f"returned {str(result).lower()}"
    if isinstance(result, (int, float)):
        score = float(result)
        raw = score >= threshold if threshold is not None else score > 0
        return raw != inverse, score, "" if raw != inverse else f"score {score:g}"
    if isinstance(result, Mapping):
        got = result.get("pass", result.get("pass_"))
        score_of = result.get("score")
        value = (
            float(score_of)
            if isinstance(score_of, (int, float)) and not isinstance(score_of, bool)
            else None
        )
        if isinstance(got, bool):
            raw = got
        elif value is not None:
            raw = value >= threshold if threshold is not None else value > 0
        else:
            return False, 0.0, f"returned {result!r}: expected pass or score"
        if python and threshold is not None and value is not None:
            raw = raw and value >= threshold
        passed = raw != inverse
        reason = str(result.get("reason") or "") if passed == raw else f"returned pass {raw}"
        return passed, value if value is not None else float(passed), reason
    return False, 0.0, f"returned {type(result).__name__}, expected a bool, a score or an object"


def _python_text_result(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return json.loads(text) if text.startswith("{") else float(text)
    except ValueError:
        return text


async def transform_output(code: str, output: Any, facts: CallFacts) -> Any:
    """The output after a transform: JavaScript (inline or ``.js``) or ``file://x.py``."""
    if code.startswith("file://") and code.removeprefix("file://").split(":")[0].endswith(".py"):
        return run_python(code, output, facts.context(), facts.base, default="get_transform")
    return await run_javascript(code, output, facts.context(), facts.base, clock=facts.clock)


def _rendered(value: Any, variables: Mapping[str, Any], filters: Filters = ()) -> Any:
    if isinstance(value, str):
        return render(value, variables, filters)
    if isinstance(value, list):
        return [_rendered(v, variables, filters) for v in value]
    return value


def _as_text(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output)


def _load_schema(value: Any, base: Path) -> Any:
    from llmops.yamlsafe import load_yaml_text, read_text  # bounded, plain YAML only

    if isinstance(value, str) and value.startswith("file://"):
        path = base / value.removeprefix("file://")
        return load_yaml_text(read_text(path, "JSON Schema"), str(path))[0]
    if isinstance(value, str):  # a schema written as YAML (or JSON) text
        return load_yaml_text(value, "schema")[0] if value.strip() else None
    return value


def _deterministic(a: Assertion, out: str, value: Any, facts: CallFacts) -> Verdict:
    kind, th = a.base, a.threshold
    if kind == "equals":
        if isinstance(value, (dict, list)):
            try:
                same = json.loads(out) == value
            except ValueError:
                same = False
        else:
            same = out == metrics.js_str(value)
        return same, float(same), f"expected output to equal {value!r}"
    if kind in ("contains", "icontains"):
        lower = kind == "icontains"
        needle = metrics.js_str(value)
        hay, needle = (out.lower(), needle.lower()) if lower else (out, needle)
        return needle in hay, float(needle in hay), f"expected output to contain {value!r}"
    if kind in ("contains-any", "icontains-any", "contains-all", "icontains-all"):
        lower = kind.startswith("i")
        hay = out.lower() if lower else out
        items = metrics.split_values(value)
        hits = [(v.lower() if lower else v) in hay for v in items]
        ok = any(hits) if kind.endswith("any") else all(hits)
        return ok, float(ok), f"expected output to contain {kind.rsplit('-', 1)[1]} of {items}"
    if kind == "starts-with":
        ok = out.startswith(str(value))
        return ok, float(ok), f"expected output to start with {value!r}"
    if kind == "regex":
        import re

        ok = re.search(str(value), out) is not None
        return ok, float(ok), f"expected output to match /{value}/"
    if kind in ("is-json", "contains-json"):
        return _json(kind, out, _load_schema(value, facts.base))
    if kind == "levenshtein":
        return metrics.levenshtein(out, str(value), th)
    if kind == "rouge-n":
        score = metrics.rouge_n(out, str(value))
        limit = 0.75 if th is None else th
        return score >= limit, score, f"ROUGE-N {score:.2f} < {limit:g}"
    if kind == "bleu":
        refs = value if isinstance(value, list) else [str(value)]
        score = metrics.bleu(out, refs)
        limit = 0.5 if th is None else th
        return score >= limit, score, f"BLEU {score:.4f} < {limit:g}"
    if kind == "latency":
        if facts.latency_ms is None:
            return False, 0.0, "no latency measured"
        ok = facts.latency_ms <= float(th or 0)
        return ok, float(ok), f"latency {facts.latency_ms:.0f} ms > {th:g} ms"
    if kind == "cost":
        if facts.cost is None:
            return False, 0.0, f"cost unknown: {facts.cost_note or 'no token usage reported'}"
        ok = facts.cost <= float(th or 0)
        return ok, float(ok), f"cost ${facts.cost:.6f} > ${th:g}"
    return _perplexity(kind, th, facts)


def _json(kind: str, out: str, schema: Any) -> Verdict:
    if kind == "is-json":
        try:
            values = [json.loads(out)]
        except ValueError as exc:
            return False, 0.0, f"expected output to be valid JSON ({exc})"
    else:
        values = metrics.find_json_values(out)
        if not values:
            return False, 0.0, "expected output to contain valid JSON"
    if not isinstance(schema, dict):
        return True, 1.0, ""
    problems = [metrics.schema_problem(v, schema) for v in values]
    if any(p is None for p in problems):
        return True, 1.0, ""
    return False, 0.0, f"JSON does not conform to the schema: {problems[0]}"


class Unavailable(TestError):
    """An assertion that cannot be evaluated (no logprobs, ...): the test fails with the
    reason, whatever its ``not-`` and threshold (promptfoo errors it)."""


def _perplexity(kind: str, th: float | None, facts: CallFacts) -> Verdict:
    """promptfoo's definitions: perplexity ``exp(-mean logprob)`` passes at most ``threshold``
    (always without one); perplexity-score ``1 / (1 + perplexity)`` passes at least it."""
    if not facts.logprobs:
        raise Unavailable(f"{kind} needs token logprobs: {facts.logprobs_note}")
    ppl = math.exp(-sum(facts.logprobs) / len(facts.logprobs))
    if kind == "perplexity-score":
        score = 1 / (1 + ppl)
        ok = th is None or score >= th
        return ok, score, f"perplexity score {score:.3f} < {th}"
    ok = th is None or ppl <= th
    return ok, float(ok), f"perplexity {ppl:.2f} > {th}"


async def _one(
    a: Assertion, output: Any, facts: CallFacts, grader: ModelGrader | None
) -> tuple[Verdict, list[CheckVerdict]]:
    if a.type == "assert-set":
        inner = await grade_test(a.children, output, facts, grader, threshold=a.threshold)
        if inner.error is not None:
            raise TestError(inner.error)
        return (inner.passed, inner.score, _failing(inner.verdicts)), inner.verdicts
    if a.transform:
        output = await transform_output(a.transform, output, facts)
    out = _as_text(output)
    value = _rendered(a.value, facts.vars, facts.filters)
    if a.base in ("javascript", "python"):
        code = str(a.value)
        ctx = facts.context()
        if a.base == "javascript":
            result = await run_javascript(code, output, ctx, facts.base, clock=facts.clock)
        else:
            result = run_python(code, out, ctx, facts.base)
        return script_verdict(result, a.threshold, a.inverse, python=a.base == "python"), []
    if a.base in MODEL_GRADED:
        if grader is None:
            return (False, 0.0, f"{a.base} needs a grader model"), []
        if a.context_transform:  # the context comes out of the output (a RAG answer's sources)
            context = await transform_output(a.context_transform, output, facts)
            facts = replace(facts, vars={**facts.vars, "context": context})
        return await grader(a, out, facts), []
    return _deterministic(a, out, value, facts), []


def _negated(reason: str, kind: str) -> str:
    if reason.startswith("expected output to "):
        return reason.replace("expected output to ", "expected output not to ", 1)
    return f"{kind}: the {kind.removeprefix('not-')} check passed" + (
        f" ({reason})" if reason else ""
    )


def _failing(verdicts: Sequence[CheckVerdict]) -> str:
    return "; ".join(f"{v.check}: {v.reason}" for v in verdicts if not v.passed)


def _label(a: Assertion) -> str:
    if a.type == "assert-set":
        name = "assert-set"
    elif isinstance(a.value, str) and a.value and len(a.value) <= 40 and "\n" not in a.value:
        name = f"{a.type}:{a.value}"
    elif isinstance(a.value, list) and len(str(a.value)) <= 40:
        name = f"{a.type}:{','.join(map(str, a.value))}"
    else:
        name = a.type
    return f"{name} [{a.metric}]" if a.metric else name


async def grade_test(
    assertions: Sequence[Assertion],
    output: Any,
    facts: CallFacts,
    grader: ModelGrader | None,
    *,
    threshold: float | None = None,
) -> Graded:
    """Grade ``output`` against ``assertions`` (a test's, or an assert-set's)."""
    verdicts: list[CheckVerdict] = []
    total = weights = 0.0
    all_pass = True
    test_error: str | None = None
    for a in assertions:
        if a.base in COMPARATIVE:  # graded after the run, across the test's outputs
            continue
        errored = False
        try:
            (passed, score, reason), _inner = await _one(a, output, facts, grader)
        except TestError as exc:  # promptfoo errors the whole test
            passed, score, reason, errored = False, 0.0, str(exc), True
            test_error = test_error or f"{_label(a)}: {exc}"
        except (ScriptError, TemplateProblem, OSError, ValueError) as exc:
            # as in promptfoo, an assertion whose code failed fails, not- or not
            passed, score, reason, errored = False, 0.0, str(exc), True
        except InputError as exc:
            raise InputError(f"{a.where}: {exc}") from None
        # promptfoo: a perplexity assertion without a threshold passes, not- or not
        unconditional = a.base.startswith("perplexity") and a.threshold is None
        scripted = a.base in ("javascript", "python")  # script_verdict inverted it already
        if a.inverse and not errored and not unconditional and not scripted:
            passed = not passed
            score = 1.0 - score if 0.0 <= score <= 1.0 else score
            reason = _negated(reason, a.type)
        if a.weight == 0 and a.type != "assert-set" and test_error is None:
            passed = True  # promptfoo: a weight-0 assertion is recorded, never failing
        verdicts.append(CheckVerdict(_label(a), passed, score, "" if passed else reason))
        total += score * a.weight
        weights += a.weight
        if not passed:
            all_pass = False
    score = total / weights if weights else (0.0 if assertions else 1.0)
    passed = score >= threshold if threshold is not None else all_pass
    if test_error is not None:
        return Graded(verdicts, 0.0, False, test_error)
    return Graded(verdicts, score, passed)
