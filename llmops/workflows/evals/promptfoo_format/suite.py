"""A promptfoo config as an llmops :class:`~llmops.workflows.evals.suite.Suite`: one case per
(test, prompt), its messages rendered when loaded, graded with promptfoo's assertions.

:func:`load_promptfoo` reads the config; the eval's trials call :meth:`PromptfooSuite.grade`
on each output; :func:`provider_target` maps ``providers:`` to an API when no target is given.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import PrivateAttr

from llmops.content import last_user_text
from llmops.errors import ConfigError, InputError, LlmopsError
from llmops.workflows.evals.promptfoo_format.asserts import (
    CallFacts,
    grade_test,
    transform_output,
)
from llmops.workflows.evals.promptfoo_format.config import Prompt, TestPlan, read_config
from llmops.workflows.evals.promptfoo_format.graders import (
    http_embedder,
    model_grader,
    select_best,
)
from llmops.workflows.evals.promptfoo_format.prompts import chat_messages
from llmops.workflows.evals.promptfoo_format.scripts import ScriptError
from llmops.workflows.evals.promptfoo_format.spec import COMPARATIVE, Assertion
from llmops.workflows.evals.promptfoo_format.templates import Filters, TemplateProblem, render
from llmops.workflows.evals.records import CaseRecord, CheckVerdict
from llmops.workflows.evals.suite import Suite, target_api

if TYPE_CHECKING:
    from llmops.engine.engine import Engine
    from llmops.engine.result import CallResult

__all__ = ["PromptfooSuite", "load_promptfoo", "provider_target"]

#: a variable printed as is or through a filter (``| default(...)`` makes it optional)
_OUTPUT_VAR = re.compile(r"\{\{-?\s*([A-Za-z_]\w*)\s*(?:-?\}\}|\|\s*(\w+))")


@dataclass(frozen=True, slots=True)
class CasePlan:
    """One case: a test on one prompt, with its rendered messages."""

    test: TestPlan
    messages: tuple[tuple[str, str], ...]
    prompt_label: str
    #: the prompt failed to render for this test (promptfoo errors the case, runs the rest)
    error: str | None = None
    #: the prompt reads ``_conversation``: rendered when sent, after the earlier turns of its
    #: conversation (this prompt, the test's ``metadata.conversationId``)
    prompt: Prompt | None = None
    conversation: tuple[int, str] | None = None


class PromptfooSuite(Suite):
    """A suite read from a promptfoo config; grading follows promptfoo's semantics."""

    #: by case id, so that a suite cut to some cases (a re-run) keeps each case's plan
    _plans: dict[str, CasePlan] = PrivateAttr(default_factory=dict)
    _providers: list[tuple[str, dict[str, Any]]] = PrivateAttr(default_factory=list)
    _config_path: Path | None = PrivateAttr(default=None)
    _filters: Filters = PrivateAttr(default=())
    _notes: list[str] = PrivateAttr(default_factory=list)
    #: ``_conversation`` turns so far, per conversation, and the messages each case was sent
    _turns: dict[tuple[int, str], list[dict[str, Any]]] = PrivateAttr(default_factory=dict)
    _sent: dict[str, tuple[tuple[str, str], ...]] = PrivateAttr(default_factory=dict)

    def plan_for(self, index: int) -> CasePlan:
        """Case ``index``'s test, prompt and rendered messages."""
        return self._plans[self.case_id(index)]

    def start_run(self) -> None:
        """Forget the ``_conversation`` turns of an earlier run of this suite."""
        self._turns.clear()
        self._sent.clear()

    @property
    def sequential(self) -> bool:
        """True when a prompt reads earlier turns (``_conversation``): cases run in order."""
        return any(self.plan_for(i).conversation is not None for i in range(len(self.cases)))

    @property
    def notes(self) -> list[str]:
        """Variables a prompt uses that a test does not set (rendered empty, as promptfoo
        renders them) and prompts that failed to render for a test."""
        return list(self._notes)

    def problem_for(self, index: int) -> str | None:
        """The prompt's render error for this case, if it had one."""
        return self.plan_for(index).error

    def messages_for(self, index: int) -> list[dict[str, str]]:
        """The case's messages: rendered when the config was loaded, or, for a prompt that
        reads ``_conversation``, now, after the earlier turns of its conversation."""
        plan = self.plan_for(index)
        key = self.case_id(index)
        messages = self._sent.get(key, plan.messages)
        if plan.conversation is not None and plan.prompt is not None and key not in self._sent:
            turns = self._turns.get(plan.conversation, [])
            messages = _render_prompt(plan.prompt, plan.test, self._filters, turns)
            self._sent[key] = messages
        return [{"role": _role(r), "content": c} for r, c in messages]

    def _record_turn(self, index: int, output: str) -> None:
        plan = self.plan_for(index)
        if plan.conversation is None:
            return
        sent = self.messages_for(index)
        self._turns.setdefault(plan.conversation, []).append(
            {"prompt": sent, "input": sent[-1]["content"] if sent else "", "output": output}
        )

    def content_hash(self) -> str:
        """SHA-256 (16 hex digits) of the cases, including their assertions."""
        data = [
            [p.messages, repr(p.test.asserts), p.test.options, p.test.threshold]
            for p in (self.plan_for(i) for i in range(len(self.cases)))
        ]
        digest = orjson.dumps(data, default=str, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(digest).hexdigest()[:16]

    async def compare(
        self, records: Sequence[CaseRecord | None], engine: Engine, feature: str | None
    ) -> None:
        """``select-best``: per test (and repeat), the grader picks the best of its prompts'
        outputs; that case's verdict passes, the others' fail (and fail their test)."""
        index_of = {self.case_id(i): i for i in range(len(self.cases))}
        groups: dict[tuple[int, int], list[CaseRecord]] = {}
        for record in records:
            if record is not None and record.case_id in index_of:
                test = self.plan_for(index_of[record.case_id]).test
                groups.setdefault((id(test), record.repeat), []).append(record)
        ask = _asker(engine, self.judge.feature or feature, self.judge.max_tokens)
        for group in groups.values():
            test = self.plan_for(index_of[group[0].case_id]).test
            for a in (a for a in test.asserts if a.base in COMPARATIVE):
                criteria = render(str(a.value), test.vars, self._filters)
                try:
                    best = await select_best(ask, criteria, [r.output or "" for r in group])
                    reasons = [
                        "" if i == best else f"not selected: {criteria}" for i in range(len(group))
                    ]
                except ValueError as exc:
                    best, reasons = -1, [str(exc)] * len(group)
                for i, record in enumerate(group):
                    record.checks.append(
                        CheckVerdict("select-best", i == best, float(i == best), reasons[i])
                    )
                    record.passed = record.passed and i == best

    def options_for(self, index: int, api: str | None) -> dict[str, Any] | None:
        """The request fields of the config's (first) provider ``config`` that the target's
        API takes (``response_format``, ``temperature``, ...), and ``logprobs`` when the case
        has a perplexity assertion and the API returns them (OpenAI's)."""
        cfg = self._providers[0][1].get("config") if self._providers else None
        keys = _REQUEST_KEYS.get(api or "", ())
        out = {k: cfg[k] for k in keys if isinstance(cfg, dict) and cfg.get(k) is not None}
        if api == "openai" and _wants_logprobs(self.plan_for(index).test.asserts):
            out["logprobs"] = True
        return out or None

    @property
    def providers(self) -> list[tuple[str, dict[str, Any]]]:
        """The config's ``providers`` as (id, options)."""
        return list(self._providers)

    async def grade(
        self, index: int, result: CallResult, engine: Engine, feature: str | None
    ) -> tuple[list[CheckVerdict], bool]:
        """Grade case ``index``'s answer; returns the verdicts and whether the test passed."""
        plan = self.plan_for(index)
        test = plan.test
        messages = self.messages_for(index)
        self._record_turn(index, result.text or "")
        api = target_api(engine, feature)
        facts = _facts(test, messages, result, self.source_dir or Path.cwd(), api)
        facts.clock = engine.clock
        facts.filters = self._filters
        output: Any = result.text or ""
        fmt = (self.options_for(index, api) or {}).get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            output = _parsed(output)  # as promptfoo's OpenAI provider gives a structured output
        transform = test.options.get("transform")
        if isinstance(transform, str):
            try:
                output = await transform_output(transform, output, facts)
            except (ScriptError, TemplateProblem, OSError, ValueError) as exc:
                return [CheckVerdict("transform", False, 0.0, str(exc))], False
        judge_feature = self.judge.feature or feature  # by default the target grades
        grader = model_grader(
            _asker(engine, judge_feature, self.judge.max_tokens), _embedder(engine, feature)
        )
        asserts = test.asserts
        rubric = test.options.get("rubricPrompt")
        if rubric is not None:  # options.rubricPrompt: every rubric assertion without its own
            asserts = tuple(
                replace(a, rubric_prompt=rubric) if a.rubric_prompt is None else a for a in asserts
            )
        graded = await grade_test(asserts, output, facts, grader, threshold=test.threshold)
        return graded.verdicts, graded.passed


#: provider ``config`` keys sent with each request, per target API
_REQUEST_KEYS = {
    "openai": ("temperature", "top_p", "response_format", "stop", "seed", "presence_penalty",
               "frequency_penalty", "top_logprobs"),
    "anthropic": ("temperature", "top_p", "top_k", "stop_sequences"),
}  # fmt: skip


def _wants_logprobs(asserts: tuple[Assertion, ...]) -> bool:
    return any(
        a.base in ("perplexity", "perplexity-score") or _wants_logprobs(a.children) for a in asserts
    )


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _facts(
    test: TestPlan,
    messages: list[dict[str, str]],
    result: CallResult,
    base: Path,
    api: str | None = None,
) -> CallFacts:
    from llmops.workflows.loadtest.cost import DEFAULT_PRICES, price_for

    response = result.response
    cost: float | None = None
    note = "no token usage reported"
    if response is not None and response.usage is not None:
        price = price_for(response.model, DEFAULT_PRICES)
        if price is None:
            note = f"no price known for model {response.model!r}"
        else:
            usage = response.usage
            cost = (
                usage.input_tokens * price.input_per_mtok
                + usage.output_tokens * price.output_per_mtok
            ) / 1e6
    logprobs = response.logprobs if response is not None else None
    logprobs_note = (
        "the target's API (Anthropic Messages) returns no token logprobs"
        if api == "anthropic"
        else "the response carried no token logprobs"
    )
    return CallFacts(
        vars=test.vars,
        prompt=last_user_text(messages),
        base=base,
        description=test.description,
        latency_ms=result.latency_s * 1000,
        cost=cost,
        cost_note=note,
        logprobs=logprobs,
        logprobs_note=logprobs_note,
        metadata=test.metadata,
    )


def _asker(engine: Engine, feature: str | None, max_tokens: int) -> Any:
    async def ask(messages: list[dict[str, str]]) -> str:
        try:
            result = await engine.call(messages, feature=feature, max_tokens=max_tokens)
        except LlmopsError as exc:
            raise ValueError(f"grader call failed: {exc}") from None
        if not result.ok or result.text is None:
            raise ValueError(f"grader call {result.outcome}")
        return result.text

    return ask


def _embedder(engine: Engine, feature: str | None) -> Any:
    config = engine.config
    found = (
        config.provider_for(config.features[feature])
        if feature is not None and feature in config.features
        else next(iter(config.providers.items()), None)
        if len(config.providers) == 1
        else None
    )
    if found is None or found[1].kind != "openai":
        return None
    return http_embedder(found[1].base_url, found[1].api_key())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.strip()).strip("-").lower()[:60]


def _render_prompt(
    prompt: Prompt,
    test: TestPlan,
    filters: Filters = (),
    turns: list[dict[str, Any]] | None = None,
) -> tuple[tuple[str, str], ...]:
    variables = test.vars
    if prompt.uses_conversation and not test.options.get("disableConversationVar"):
        variables = {**variables, "_conversation": turns or []}
    prefix, suffix = str(test.options.get("prefix", "")), str(test.options.get("suffix", ""))
    if prompt.chat_template is not None:
        text = render(prompt.chat_template, variables, filters)
        return chat_messages(text) or (("user", text),)
    if prompt.chat is not None:
        return tuple((role, render(content, variables, filters)) for role, content in prompt.chat)
    text = prefix + render(prompt.text or "", variables, filters) + suffix
    return (("user", text),)


def _missing(prompt: Prompt, test: TestPlan) -> list[str]:
    templates = [prompt.text or prompt.chat_template or ""]
    templates = templates if prompt.chat is None else [c for _, c in prompt.chat]
    used = {
        m.group(1)
        for t in templates
        for m in _OUTPUT_VAR.finditer(t)
        if m.group(2) not in ("default", "d")
    }
    return sorted(used - set(test.vars) - {"loop", "range", "_conversation"})


def _scalar(value: Any) -> str | int | float | bool:
    return value if isinstance(value, (str, int, float, bool)) else json.dumps(value, default=str)


def load_promptfoo(path: Path | str) -> PromptfooSuite:
    """Read a promptfoo config into a :class:`PromptfooSuite` (one case per test and prompt)."""
    path = Path(path)
    raw = read_config(path)
    notes: list[str] = []
    cases: list[dict[str, Any]] = []
    plans: list[CasePlan] = []
    seen: dict[str, int] = {}
    for i, test in enumerate(raw.tests):
        base_id = _slug(test.description) if test.description else f"test-{i + 1}"
        for j, prompt in enumerate(raw.prompts):
            for name in _missing(prompt, test):
                notes.append(
                    f"{test.where}.vars: prompt variable {name!r} is not set: rendered empty "
                    "(as promptfoo renders it)"
                )
            error = None
            try:
                messages = _render_prompt(prompt, test, raw.filters)
            except TemplateProblem as exc:
                error = f"prompt {prompt.label!r} failed to render: {exc}"
                notes.append(f"{test.where}: {error}; the case is recorded as an error")
                messages = (("user", "(the prompt failed to render)"),)
            case_id = base_id if len(raw.prompts) == 1 else f"{base_id}@p{j + 1}"
            seen[case_id] = seen.get(case_id, 0) + 1
            if seen[case_id] > 1:
                case_id = f"{case_id}#{seen[case_id]}"
            cases.append(
                {
                    "id": case_id,
                    "description": test.description,
                    "messages": [{"role": _role(r), "content": c} for r, c in messages],
                    "vars": {k: _scalar(v) for k, v in test.vars.items()},
                }
            )
            conversation = (
                (j, str(test.metadata.get("conversationId", "")))
                if prompt.uses_conversation and not test.options.get("disableConversationVar")
                else None
            )
            plans.append(CasePlan(test, messages, prompt.label, error, prompt, conversation))
    name = _slug(raw.description) if raw.description else _slug(path.parent.resolve().name)
    model = _model_hint(raw.providers)
    try:
        suite = PromptfooSuite.model_validate(
            {
                "name": name or "promptfoo",
                "description": raw.description,
                "target": {"model": model},
                "judge": {"max_tokens": 512},
                "defaults": {"max_tokens": _max_tokens(raw.providers)},
                "cases": cases,
            }
        )
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    suite._plans = {str(case["id"]): plan for case, plan in zip(cases, plans, strict=True)}
    suite._providers = raw.providers
    suite._config_path = path
    suite._filters = raw.filters
    suite._notes = sorted(set(notes), key=notes.index)
    return suite


def _max_tokens(providers: list[tuple[str, dict[str, Any]]]) -> int:
    """The first provider's ``config.max_tokens``, else 1024 (promptfoo sets no cap of its own)."""
    cfg = providers[0][1].get("config") if providers else None
    value = cfg.get("max_tokens") if isinstance(cfg, dict) else None
    return value if isinstance(value, int) and value > 0 else 1024


def _role(role: str) -> str:
    return (
        role
        if role in ("system", "user", "assistant")
        else "system"
        if role == "developer"
        else "user"
    )


def _model_hint(providers: list[tuple[str, dict[str, Any]]]) -> str | None:
    if not providers:
        return None
    parts = providers[0][0].split(":")
    return parts[-1] if len(parts) >= 2 and parts[-1] else None


_APIS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}


def provider_target(suite: PromptfooSuite) -> tuple[str, str, str] | None:
    """``(base URL, kind, model)`` of the config's provider, for a run given no target.

    ``openai:<model>`` / ``openai:chat:<model>`` call the OpenAI API (or the provider's
    ``config.apiBaseUrl``), ``anthropic:messages:<model>`` the Anthropic API. Any other
    provider, or several, raise one :class:`~llmops.errors.InputError` naming them.
    """
    providers = suite.providers
    if not providers:
        return None
    if len(providers) > 1:
        names = ", ".join(p for p, _ in providers)
        raise InputError(
            f"providers: {names}: llmops runs one target per run; give --target URL --model M "
            "(or keep one provider)"
        )
    ident, options = providers[0]
    parts = ident.split(":")
    if parts[0] == "openai" and len(parts) in (2, 3) and (len(parts) == 2 or parts[1] == "chat"):
        kind = "openai"
    elif parts[:2] == ["anthropic", "messages"] and len(parts) == 3:
        kind = "anthropic"
    else:
        raise InputError(
            f"providers: {ident!r} is not supported without --target; llmops maps "
            "openai:<model>, openai:chat:<model> and anthropic:messages:<model>, or give "
            "--target URL --provider openai|anthropic --model M"
        )
    raw_cfg = options.get("config")
    cfg: dict[str, Any] = raw_cfg if isinstance(raw_cfg, dict) else {}
    url = str(cfg.get("apiBaseUrl") or cfg.get("apiHost") or _APIS[kind])
    return url, kind, parts[-1]
