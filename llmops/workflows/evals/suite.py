"""The eval suite file: cases (an input or messages, variables) and checks on each output.

```yaml
name: support-classifier
prompt: "Classify this ticket: {{ticket}}"       # optional template ({{var}} from vars)
defaults: {max_tokens: 16, repeat: 1, checks: [{type: one-of, values: [billing, account]}]}
cases:
  - id: refund
    vars: {ticket: "I was charged twice"}
    checks: [{type: equals, value: billing}]
    repeat: 3
```

Loaded by :func:`llmops.workflows.evals.loader.load_suite` (with :mod:`llmops.yamlload`): every
problem is one line with file, line, dotted path and a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from llmops.errors import InputError
from llmops.yamlload import Loc

if TYPE_CHECKING:
    from llmops.engine.engine import Engine
    from llmops.workflows.evals.records import CaseRecord

_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Equals(_Strict):
    """The output, stripped, equals ``value`` (``ignore_case`` optional)."""

    type: Literal["equals"]
    value: str
    ignore_case: bool = False


class Contains(_Strict):
    """``contains``: the output contains ``value``; ``icontains``: ignoring case."""

    type: Literal["contains", "icontains"]
    value: str


class NotContains(_Strict):
    """The output does not contain ``value``."""

    type: Literal["not-contains"]
    value: str


class Regex(_Strict):
    """The output matches ``pattern`` (``re.search``)."""

    type: Literal["regex"]
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"a valid regular expression ({exc})") from None
        return v


class IsJson(_Strict):
    """The output parses as JSON."""

    type: Literal["is-json"]


class JsonSchema(_Strict):
    """The output parses as JSON and validates against ``schema``."""

    type: Literal["json-schema"]
    json_schema: dict[str, Any] = Field(alias="schema")

    @field_validator("json_schema")
    @classmethod
    def _valid(cls, v: dict[str, Any]) -> dict[str, Any]:
        import jsonschema  # type: ignore[import-untyped]

        try:
            jsonschema.validators.validator_for(v).check_schema(v)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"a valid JSON Schema ({exc.message})") from None
        return v


class MaxChars(_Strict):
    """The output has at most ``value`` characters."""

    type: Literal["max-chars"]
    value: int = Field(ge=0)


class OneOf(_Strict):
    """The output, stripped, is one of ``values`` (labels)."""

    type: Literal["one-of"]
    values: list[str] = Field(min_length=1)
    ignore_case: bool = False


class PythonCheck(_Strict):
    """``function`` (``module:function``) returns a bool, a score in [0, 1] (pass at
    ``threshold``) or ``{pass, score, reason}``; it is called as ``f(output, context)``."""

    type: Literal["python"]
    function: str
    threshold: float = Field(default=0.5, ge=0, le=1)

    @field_validator("function")
    @classmethod
    def _spec(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", v):
            raise ValueError("'module:function', e.g. 'mychecks:is_polite'")
        return v


class LlmJudge(_Strict):
    """A judge model grades the output against ``rubric`` (see the suite's ``judge``)."""

    type: Literal["llm-judge"]
    rubric: str = Field(min_length=1)
    threshold: float = Field(default=0.5, ge=0, le=1)


Check = Annotated[
    Equals
    | Contains
    | NotContains
    | Regex
    | IsJson
    | JsonSchema
    | MaxChars
    | OneOf
    | PythonCheck
    | LlmJudge,
    Field(discriminator="type"),
]


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class Case(_Strict):
    """One case: ``input`` (a user message) or ``messages``, ``vars`` for templates, checks."""

    id: str | None = None
    description: str | None = None
    input: str | None = None
    messages: list[Message] | None = None
    vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    repeat: int | None = Field(default=None, ge=1, le=100)
    max_tokens: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_input(self) -> Case:
        if self.input is not None and self.messages is not None:
            raise ValueError("either input or messages, not both")
        return self


class Defaults(_Strict):
    """Applied to every case: checks are added before the case's own, the rest fills gaps."""

    checks: list[Check] = Field(default_factory=list)
    repeat: int = Field(default=1, ge=1, le=100)
    max_tokens: int = Field(default=64, ge=1)


class Judge(_Strict):
    """Which model grades ``llm-judge`` checks: a config feature, or the run's own target."""

    feature: str | None = None
    max_tokens: int = Field(default=64, ge=1)


class TargetHint(_Strict):
    """The suite's preferred target; the command line overrides it."""

    feature: str | None = None
    provider: str | None = None
    model: str | None = None


class Suite(_Strict):
    """A whole eval suite file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str | None = None
    system: str | None = None
    prompt: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    judge: Judge = Field(default_factory=Judge)
    target: TargetHint = Field(default_factory=TargetHint)
    cases: list[Case] = Field(min_length=1)
    _source_dir: Path | None = PrivateAttr(default=None)

    @property
    def source_dir(self) -> Path | None:
        """The directory of the file the suite came from (python checks import from there)."""
        return self._source_dir

    def case_id(self, index: int) -> str:
        """The case's id, or ``case-N`` (1-based) when it has none."""
        return self.cases[index].id or f"case-{index + 1}"

    def content_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the validated content: equal suites, equal hashes."""
        data = orjson.dumps(
            self.model_dump(mode="json", by_alias=True), option=orjson.OPT_SORT_KEYS
        )
        return hashlib.sha256(data).hexdigest()[:16]

    def problem_for(self, index: int) -> str | None:
        """Why case ``index`` cannot be sent (it is recorded as an error, not called); none for
        an llmops suite (a promptfoo prompt that fails to render for one test is one)."""
        return None

    @property
    def notes(self) -> list[str]:
        """Warnings about the suite as read (one line each) that do not stop the run."""
        return []

    def start_run(self) -> None:
        """Called before each run of the suite (state a run builds up starts afresh)."""

    async def compare(
        self, records: Sequence[CaseRecord | None], engine: Engine, feature: str | None
    ) -> None:
        """Grade across the run's records once every trial is done (a promptfoo
        ``select-best``); nothing for an llmops suite."""

    @property
    def sequential(self) -> bool:
        """True when the cases must run one after another, in order (a promptfoo prompt that
        reads earlier turns through ``_conversation``)."""
        return False

    def options_for(self, index: int, api: str | None) -> dict[str, Any] | None:
        """Request options (body fields in ``api``'s wire format) for case ``index``; none for
        an llmops suite (a promptfoo config's provider may set some)."""
        return None

    def messages_for(self, index: int) -> list[dict[str, str]]:
        """The chat messages of case ``index``, templates filled in."""
        case = self.cases[index]
        variables = {k: str(v) for k, v in case.vars.items()}
        if case.input is not None:
            variables.setdefault("input", case.input)
        out: list[dict[str, str]] = []
        if self.system is not None:
            out.append({"role": "system", "content": render(self.system, variables)})
        if case.messages is not None:
            out += [
                {"role": m.role, "content": render(m.content, variables)} for m in case.messages
            ]
        else:
            template = self.prompt if self.prompt is not None else "{{input}}"
            out.append({"role": "user", "content": render(template, variables)})
        return out


def template_variables(template: str) -> set[str]:
    """The ``{{name}}`` variables ``template`` uses."""
    return {m.group(1) for m in _VAR.finditer(template)}


def render(template: str, variables: dict[str, str]) -> str:
    """Replace ``{{name}}`` with ``variables[name]`` (a missing name raises ``KeyError``)."""
    return _VAR.sub(lambda m: variables[m.group(1)], template)


def check_suite(suite: Suite, search: Path | None = None) -> list[tuple[Loc, str]]:
    """Problems spanning keys: duplicate ids, missing inputs, template variables not given,
    python check functions that cannot be imported (``search`` is the suite's directory)."""
    problems: list[tuple[Loc, str]] = []
    located: list[tuple[Loc, Check]] = [
        (("defaults", "checks", j), c) for j, c in enumerate(suite.defaults.checks)
    ]
    located += [
        (("cases", i, "checks", j), c)
        for i, case in enumerate(suite.cases)
        for j, c in enumerate(case.checks)
    ]
    for loc, check in located:
        if isinstance(check, PythonCheck):
            try:
                load_function(check.function, search)
            except InputError as exc:
                problems.append((loc, str(exc)))
    seen: dict[str, int] = {}
    for i, case in enumerate(suite.cases):
        cid = suite.case_id(i)
        if cid in seen:
            problems.append(
                (("cases", i, "id"), f"duplicate case id {cid!r} (also case {seen[cid] + 1})")
            )
        seen[cid] = i
        if case.input is None and case.messages is None and suite.prompt is None:
            problems.append((("cases", i), "needs input or messages (or a suite prompt)"))
            continue
        if not (case.checks or suite.defaults.checks):
            problems.append((("cases", i, "checks"), "no checks: add one here or in defaults"))
        try:
            suite.messages_for(i)
        except KeyError as exc:
            problems.append(
                (("cases", i, "vars"), f"template variable {exc.args[0]!r} is not set in vars")
            )
    return problems


def load_function(spec: str, search: Path | None = None) -> Callable[..., Any]:
    """Import ``module:function``; ``search`` (the suite's directory) is tried for the module."""
    module_name, _, attr = spec.partition(":")
    added = False
    if search is not None and str(search) not in sys.path:
        sys.path.insert(0, str(search))
        added = True
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raises (SyntaxError, ...)
        raise InputError(
            f"python check {spec!r}: cannot import {module_name!r} ({type(exc).__name__}: {exc})"
        ) from None
    finally:
        if added:
            sys.path.remove(str(search))
    func = getattr(module, attr, None)
    if not callable(func):
        raise InputError(f"python check {spec!r}: {module_name} has no function {attr!r}")
    return func  # type: ignore[no-any-return]


def target_api(engine: Engine, feature: str | None) -> str | None:
    """The wire format (``openai``/``anthropic``) of the provider ``feature`` calls (of the only
    provider without a feature), None when it cannot be told."""
    config = engine.config
    if feature is not None:
        cfg = config.features.get(feature)
        found = config.provider_for(cfg) if cfg is not None else None
    else:
        found = next(iter(config.providers.items()), None) if len(config.providers) == 1 else None
    return found[1].kind if found else None
