"""The model-graded promptfoo assertions, asked through the engine, and ``similar`` through an
OpenAI-compatible ``/embeddings`` call.

The grading prompts follow promptfoo's documented formats (written here, not copied): the
rubric grader answers JSON ``{"reason", "pass", "score"}``; closed QA reasons step by step and
ends with ``Y`` or ``N``; factuality picks one of the options (A)-(E), where only (D), a
disagreement with the expert answer, fails; G-Eval scores 0-10 (normalised, threshold 0.7);
the context metrics count statements (``score = supported / total``, threshold 0 by default);
answer relevance compares the questions the answer would answer with the asked one
(embeddings). A ``rubricPrompt`` replaces the rubric grader's prompt (text or chat JSON with
``{{output}}`` and ``{{rubric}}``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from llmops.workflows.evals.promptfoo_format.asserts import CallFacts, ModelGrader, Verdict
from llmops.workflows.evals.promptfoo_format.spec import Assertion
from llmops.workflows.evals.promptfoo_format.templates import render

__all__ = ["Ask", "Embed", "cosine", "http_embedder", "model_grader", "select_best"]

#: send chat messages to the grader model, get its reply text (raises on failure)
Ask = Callable[[list[dict[str, str]]], Awaitable[str]]
#: embed texts, one vector each
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]

RUBRIC_SYSTEM = (
    "You grade an output against a rubric written by the user. The output passes when what "
    "the rubric states is true of it. Answer with one JSON object and nothing else: "
    '{"reason": "<why>", "pass": true or false, "score": <a number from 0.0 to 1.0>}.'
)
RUBRIC_USER = "<Output>\n{{ output }}\n</Output>\n<Rubric>\n{{ rubric }}\n</Rubric>"
CLOSED_QA = """You are checking whether a submitted answer meets a criterion.
[BEGIN DATA]
[Task]: {{ input }}
[Submission]: {{ completion }}
[Criterion]: {{ criteria }}
[END DATA]
Does the submission meet the criterion? Reason step by step first, then write only the letter
Y or N on a line of its own, and repeat that letter alone on the last line."""
FACTUALITY = """Compare the factual content of a submitted answer with an expert answer.
[Question]: {{ input }}
[Expert]: {{ ideal }}
[Submission]: {{ completion }}
Ignore differences of style, grammar or punctuation. Choose one option:
(A) The submission is a subset of the expert answer and fully consistent with it.
(B) The submission is a superset of the expert answer and fully consistent with it.
(C) The submission contains all the same details as the expert answer.
(D) The submission and the expert answer disagree.
(E) They differ, but the differences do not matter for factuality.
Answer with the letter of the option first."""
G_EVAL = """Evaluate the output of a task against the criteria, step by step.
[Criteria]: {{ criteria }}
[Task input]: {{ input }}
[Output]: {{ output }}
Answer with one JSON object: {"score": <an integer from 0 to 10>, "reason": "<why>"}."""
STATEMENTS = """{{ instruction }}
[Context]: {{ context }}
{{ label }}: {{ text }}
Split the {{ label_lower }} into simple factual statements. For each, decide whether the
context supports it. Answer with one JSON object: {"statements": [{"statement": "...",
"supported": true or false}]}."""
RELEVANT = """List the sentences of the context that help answer the question, copied exactly.
[Question]: {{ query }}
[Context]: {{ context }}
Answer with one JSON object: {"relevant": ["<sentence>", ...]}."""
SELECT_BEST = """Several texts answer the same request. Which one fits these criteria best?
[Criteria]: {{ criteria }}
{% for text in texts %}[Text {{ loop.index0 }}]:
{{ text }}
{% endfor %}
Answer with the number of the best text only."""
QUESTIONS = """Write 3 questions, one per line, that the following answer would answer.
Answer: {{ output }}"""

_OBJECT = re.compile(r"\{.*\}", re.S)


def _json_object(text: str) -> dict[str, Any] | None:
    match = _OBJECT.search(text)
    if not match:
        return None
    try:
        value = json.loads(match.group(0))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _user(prompt: str, **variables: Any) -> list[dict[str, str]]:
    return [{"role": "user", "content": render(prompt, variables)}]


def _rubric_messages(a: Assertion, output: str, facts: CallFacts) -> list[dict[str, str]]:
    variables = {**facts.vars, "output": output, "rubric": render(str(a.value), facts.vars)}
    custom = a.rubric_prompt
    if custom is None:
        return [
            {"role": "system", "content": RUBRIC_SYSTEM},
            {"role": "user", "content": render(RUBRIC_USER, variables)},
        ]
    if isinstance(custom, list):
        return [{"role": m["role"], "content": render(m["content"], variables)} for m in custom]
    text = render(str(custom), variables)
    try:
        chat = json.loads(text)
    except ValueError:
        chat = None
    if isinstance(chat, list) and all(isinstance(m, dict) and "content" in m for m in chat):
        return [{"role": str(m.get("role", "user")), "content": str(m["content"])} for m in chat]
    return [{"role": "user", "content": text}]


def _threshold(a: Assertion, default: float) -> float:
    return default if a.threshold is None else a.threshold


def _context(a: Assertion, facts: CallFacts) -> str:
    ctx = facts.vars.get("context")
    if ctx is None:
        raise ValueError(f"{a.base} needs a `context` var")
    return "\n".join(map(str, ctx)) if isinstance(ctx, list) else str(ctx)


def _query(a: Assertion, facts: CallFacts) -> str:
    query = facts.vars.get("query")
    return str(query) if query is not None else facts.prompt


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (0 for a zero vector)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return max(-1.0, min(1.0, dot / (na * nb))) if na and nb else 0.0


def model_grader(ask: Ask, embed: Embed | None) -> ModelGrader:
    """The grader of every model-graded type, asking ``ask`` and embedding with ``embed``."""

    async def grade(a: Assertion, output: str, facts: CallFacts) -> Verdict:
        kind, value = a.base, render(str(a.value), facts.vars) if a.value is not None else ""
        if kind == "llm-rubric":
            reply = await ask(_rubric_messages(a, output, facts))
            data = _json_object(reply)
            if data is None or not isinstance(
                data.get("pass", data.get("score")), (bool, int, float)
            ):
                return False, 0.0, f"unreadable grader reply: {reply[:80]!r}"
            score = float(data.get("score", 1.0 if data.get("pass") else 0.0))
            passed = bool(data["pass"]) if "pass" in data else score > 0
            if a.threshold is not None:
                passed = passed and score >= a.threshold
            return passed, score, str(data.get("reason", ""))
        if kind == "model-graded-closedqa":
            reply = await ask(
                _user(CLOSED_QA, input=facts.prompt, completion=output, criteria=value)
            )
            passed = reply.rstrip().endswith("Y")
            return passed, float(passed), reply.strip().splitlines()[0] if reply.strip() else ""
        if kind == "factuality":
            reply = await ask(_user(FACTUALITY, input=facts.prompt, ideal=value, completion=output))
            m = re.match(r"\W*([A-E])\b", reply) or re.search(r"\(([A-E])\)", reply)
            if m is None:
                return False, 0.0, f"unreadable grader reply: {reply[:80]!r}"
            passed = m.group(1) != "D"
            return passed, float(passed), f"option ({m.group(1)})"
        if kind == "g-eval":
            reply = await ask(_user(G_EVAL, criteria=value, input=facts.prompt, output=output))
            data = _json_object(reply)
            if data is None or not isinstance(data.get("score"), (int, float)):
                return False, 0.0, f"unreadable grader reply: {reply[:80]!r}"
            score = float(data["score"]) / 10
            limit = _threshold(a, 0.7)
            return score >= limit, score, str(data.get("reason", ""))
        if kind in ("context-faithfulness", "context-recall"):
            faithful = kind == "context-faithfulness"
            reply = await ask(
                _user(
                    STATEMENTS,
                    instruction="Check a text against a context.",
                    context=_context(a, facts),
                    label="Answer" if faithful else "Reference answer",
                    label_lower="answer" if faithful else "reference answer",
                    text=output if faithful else value,
                )
            )
            data = _json_object(reply) or {}
            items = [s for s in data.get("statements", []) if isinstance(s, Mapping)]
            if not items:
                return False, 0.0, f"unreadable grader reply: {reply[:80]!r}"
            score = sum(bool(s.get("supported")) for s in items) / len(items)
            limit = _threshold(a, 0.0)
            return score >= limit, score, f"{score:.2f} of statements supported"
        if kind == "context-relevance":
            context = _context(a, facts)
            reply = await ask(_user(RELEVANT, query=_query(a, facts), context=context))
            data = _json_object(reply) or {}
            relevant = [s for s in data.get("relevant", []) if isinstance(s, str)]
            total = max(1, len([s for s in re.split(r"(?<=[.!?])\s+|\n", context) if s.strip()]))
            score = min(1.0, len(relevant) / total)
            return (
                score >= _threshold(a, 0.0),
                score,
                f"{len(relevant)} of {total} sentences relevant",
            )
        if embed is None:
            return False, 0.0, f"{kind} needs an OpenAI-compatible embeddings endpoint"
        if kind == "answer-relevance":
            reply = await ask(_user(QUESTIONS, output=output))
            questions = [q.strip() for q in reply.splitlines() if q.strip()][:3] or [reply]
            vectors = await embed([_query(a, facts), *questions])
            score = sum(cosine(vectors[0], v) for v in vectors[1:]) / len(questions)
            limit = _threshold(a, 0.7)
            return score >= limit, score, f"relevance {score:.2f} < {limit:g}"
        references = a.value if isinstance(a.value, list) else [value]
        refs = [render(str(r), facts.vars) for r in references]
        vectors = await embed([output, *refs])
        score = max(cosine(vectors[0], v) for v in vectors[1:])
        limit = _threshold(a, 0.75)
        return score >= limit, score, f"similarity {score:.2f} < {limit:g}"

    return grade


def http_embedder(
    base_url: str, api_key: str | None, model: str = "text-embedding-3-small"
) -> Embed:
    """``POST {base_url}/embeddings`` (the OpenAI format), one vector per text."""

    async def embed(texts: list[str]) -> list[list[float]]:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        async with httpx.AsyncClient(timeout=30) as client:
            resp = await client.post(
                f"{base_url.rstrip('/')}/embeddings",
                json={"model": model, "input": texts},
                headers=headers,
            )
        if resp.status_code != 200:
            raise ValueError(f"embeddings call failed: HTTP {resp.status_code}")
        data = sorted(resp.json()["data"], key=lambda d: d["index"])
        return [list(map(float, d["embedding"])) for d in data]

    return embed


async def select_best(ask: Ask, criteria: str, outputs: Sequence[str]) -> int:
    """The index of the output the grader picks for ``criteria`` (promptfoo's ``select-best``:
    the first integer of its answer); raises ValueError when it names none of them."""
    if len(outputs) < 2:
        raise ValueError(f"select-best compares at least two outputs of a test, got {len(outputs)}")
    reply = await ask(_user(SELECT_BEST, criteria=criteria, texts=list(outputs)))
    found = re.search(r"\d+", reply.strip())
    if found is None or int(found.group(0)) >= len(outputs):
        raise ValueError(f"select-best: the grader named no output ({reply.strip()[:80]!r})")
    return int(found.group(0))
