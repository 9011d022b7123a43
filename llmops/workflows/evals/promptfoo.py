"""Run a promptfoo config (``promptfooconfig.yaml``) as an llmops suite, as it is.

Supported: ``prompts`` (strings, ``file://`` paths, ``{raw: ...}``), ``providers`` (the first
one's model becomes the suite's model hint), ``tests`` with ``vars``, ``description`` and
``assert``, and ``defaultTest``. Assertion types: ``equals``, ``contains``, ``icontains``,
``not-contains``, ``regex``, ``is-json`` (with a ``value`` schema: json-schema), ``llm-rubric``
(llm-judge), ``python`` (``module:function`` or ``file://checks.py:function``), plus llmops'
``max-chars`` and ``one-of``. Any other type is named in an error with its file and line.
Each test runs once per prompt.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from llmops.errors import did_you_mean
from llmops.workflows.evals.suite import Check, Suite, check_suite, template_variables
from llmops.yamlload import Loc, load_yaml_model, validate_model
from llmops.yamlsafe import MAX_BYTES, read_text

SUPPORTED = (
    "equals",
    "contains",
    "icontains",
    "not-contains",
    "regex",
    "is-json",
    "llm-rubric",
    "python",
    "max-chars",
    "one-of",
)

_CHECK: TypeAdapter[Any] = TypeAdapter(Check)


class _Loose(BaseModel):
    model_config = ConfigDict(
        extra="allow", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class PfAssert(_Loose):
    type: str
    value: Any = None
    threshold: float | None = None


class PfTest(_Loose):
    description: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    assert_: list[PfAssert] = Field(default_factory=list, alias="assert")


class PromptfooConfig(_Loose):
    """The parts of a promptfoo config that llmops reads (other keys are ignored)."""

    description: str | None = None
    prompts: list[str | dict[str, Any]] = Field(min_length=1)
    providers: list[str | dict[str, Any]] = Field(default_factory=list)
    tests: list[PfTest] = Field(min_length=1)
    default_test: PfTest | None = Field(default=None, alias="defaultTest")


def is_promptfoo(path: Path) -> bool:
    """A promptfoo config: named ``promptfooconfig.*`` or with ``prompts`` and ``tests`` keys."""
    if path.name.startswith("promptfooconfig"):
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    keys = set(re.findall(r"(?m)^([A-Za-z_]+):", head))
    return {"prompts", "tests"} <= keys and "cases" not in keys


def convert_assert(a: PfAssert) -> Any:
    """One promptfoo assertion as an llmops check mapping (validated by the caller)."""
    t, v = a.type, a.value
    if t in ("equals", "contains", "icontains", "not-contains"):
        return {"type": t, "value": v if isinstance(v, str) else str(v)}
    if t == "regex":
        return {"type": "regex", "pattern": v}
    if t == "is-json":
        return {"type": "is-json"} if v is None else {"type": "json-schema", "schema": v}
    if t == "llm-rubric":
        out: dict[str, Any] = {"type": "llm-judge", "rubric": v}
        if a.threshold is not None:
            out["threshold"] = a.threshold
        return out
    if t == "python":
        spec = str(v or "")
        # file://sub/dir/checks.py:fn -> module sub.dir.checks, imported from the config's folder
        m = re.fullmatch(
            r"file://(?:\./)?((?:[A-Za-z_]\w*/)*[A-Za-z_]\w*)\.py:([A-Za-z_]\w*)", spec
        )
        module = m.group(1).replace("/", ".") if m else ""
        return {"type": "python", "function": f"{module}:{m.group(2)}" if m else spec}
    if t == "max-chars":
        return {"type": "max-chars", "value": v}
    if t == "one-of":
        return {"type": "one-of", "values": v}
    raise ValueError(t)


def _check_config(cfg: PromptfooConfig, base: Path) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    needed = set().union(*(template_variables(_prompt_text(p, base)) for p in cfg.prompts))
    default_vars = set(cfg.default_test.vars) if cfg.default_test else set()
    for i, test in enumerate(cfg.tests):
        for name in sorted(needed - default_vars - set(test.vars)):
            problems.append((("tests", i, "vars"), f"prompt variable {name!r} is not set in vars"))
    groups: list[tuple[Loc, PfTest]] = [(("tests", i), t) for i, t in enumerate(cfg.tests)]
    if cfg.default_test is not None:
        groups.append((("defaultTest",), cfg.default_test))
    unsupported: dict[str, list[Loc]] = {}  # one problem per misspelt type, not per test
    for loc, test in groups:
        for j, a in enumerate(test.assert_):
            where = (*loc, "assert", j)
            if a.type not in SUPPORTED:
                unsupported.setdefault(a.type, []).append((*where, "type"))
                continue
            try:
                _CHECK.validate_python(convert_assert(a))
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                expected = str(first["msg"]).removeprefix("Value error, ")
                problems.append((where, f"got {a.value!r}, expected {expected}"))
    for kind, places in unsupported.items():
        msg = f"assertion type {kind!r} is not supported" + did_you_mean(
            kind, SUPPORTED, otherwise=f"; supported: {', '.join(SUPPORTED)}"
        )
        if len(places) > 1:
            msg += f" ({len(places) - 1} more like it)"
        problems.append((places[0], msg))
    return problems


def _prompt_text(prompt: str | dict[str, Any], base: Path) -> str:
    raw = prompt.get("raw", "") if isinstance(prompt, dict) else prompt
    if isinstance(raw, str) and raw.startswith("file://"):
        return read_text(base / raw.removeprefix("file://"), "prompt")
    return str(raw)


def _model_hint(providers: list[str | dict[str, Any]]) -> str | None:
    if not providers:
        return None
    first = providers[0]
    ident = str(first.get("id", "")) if isinstance(first, dict) else first
    parts = ident.split(":")
    return parts[-1] if len(parts) >= 2 and parts[-1] else None


def load_promptfoo(path: Path | str) -> Suite:
    """Load a promptfoo config and convert it to a :class:`Suite` named after its directory."""
    path = Path(path)
    cfg = load_yaml_model(
        path,
        PromptfooConfig,
        what="promptfoo config",
        check=lambda c: _check_config(c, path.parent),
    )
    prompts = [_prompt_text(p, path.parent) for p in cfg.prompts]
    default = cfg.default_test or PfTest()
    cases: list[dict[str, Any]] = []
    for i, test in enumerate(cfg.tests):
        variables = {k: str(v) for k, v in {**default.vars, **test.vars}.items()}
        checks = [convert_assert(a) for a in (*default.assert_, *test.assert_)]
        base_id = _slug(test.description) if test.description else f"test-{i + 1}"
        for j, prompt in enumerate(prompts):
            case_id = base_id if len(prompts) == 1 else f"{base_id}@p{j + 1}"
            cases.append(
                {
                    "id": case_id,
                    "description": test.description,
                    "messages": [{"role": "user", "content": prompt}],
                    "vars": variables,
                    "checks": checks,
                }
            )
    name = _slug(cfg.description) if cfg.description else _slug(path.parent.resolve().name)
    data = {
        "name": name or "promptfoo",
        "description": cfg.description,
        "target": {"model": _model_hint(cfg.providers)},
        "cases": cases,
    }
    return validate_model(
        data, Suite, source=str(path), check=lambda s: check_suite(s, path.resolve().parent)
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.strip()).strip("-").lower()[:60]
