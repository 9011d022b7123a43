"""Reading a promptfoo config into cases: prompts (inline, ``file://`` files and globs, chat
JSON), tests (inline, ``file://`` CSV/YAML/JSON/JSONL files and globs), ``defaultTest``,
``scenarios``, list-valued vars expanded to every combination, and ``providers``.

Every problem is one line ``FILE:LINE: dotted.key: message``; a key llmops does not run is
named, never ignored silently when it would change results.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmops.errors import ConfigError, did_you_mean
from llmops.workflows.evals.promptfoo_format.files import (
    Located,
    Source,
    expand_paths,
    read_data_file,
    read_tests_csv,
)
from llmops.workflows.evals.promptfoo_format.prompts import Prompt, read_prompts
from llmops.workflows.evals.promptfoo_format.scripts import NODE_MISSING, node_available
from llmops.workflows.evals.promptfoo_format.spec import (
    Assertion,
    assertion_from_string,
    base_type,
    problem_of,
)
from llmops.workflows.evals.promptfoo_format.templates import Filters, read_filters
from llmops.yamlsafe import load_yaml_text, read_text

__all__ = ["Prompt", "RawConfig", "TestPlan", "read_config"]

TOP_KEYS = {"description", "prompts", "providers", "tests", "defaultTest", "scenarios"}
TOP_KEYS |= {"nunjucksFilters", "assertionTemplates"}
#: keys that change nothing about verdicts (output files, sharing, UI, derived report
#: metrics): accepted and ignored (``docs/promptfoo.md`` says which)
IGNORED_KEYS = {
    "outputPath", "sharing", "evaluateOptions", "writeLatestResults", "tags", "metadata",
    "env", "commandLineOptions", "$schema", "version", "author", "derivedMetrics",
}  # fmt: skip
TEST_KEYS = {"description", "vars", "assert", "options", "threshold", "metadata"}
OPTION_KEYS = {"transform", "postprocess", "prefix", "suffix", "rubricPrompt", "provider"}
OPTION_KEYS |= {"disableVarExpansion", "disableConversationVar", "runSerially", "storeOutputAs"}


@dataclass(frozen=True, slots=True)
class TestPlan:
    """One test after defaultTest, scenarios and var expansion."""

    description: str | None
    vars: dict[str, Any]
    asserts: tuple[Assertion, ...]
    options: dict[str, Any]
    threshold: float | None
    metadata: dict[str, Any]
    where: str


@dataclass(frozen=True, slots=True)
class RawConfig:
    """A promptfoo config, read: its prompts, its tests, its providers."""

    description: str | None
    prompts: list[Prompt]
    tests: list[TestPlan]
    providers: list[tuple[str, dict[str, Any]]]
    #: ``nunjucksFilters``: name -> JavaScript file exporting the filter function
    filters: Filters = ()


def _fail(item: Located, message: str) -> ConfigError:
    return ConfigError(f"{item.where}: {message}")


def _test_items(item: Located, base: Path) -> list[Located]:
    """The test mappings ``tests:`` names (inline, or read from files and globs)."""
    value = item.value
    if value is None:
        return []
    refs = (
        [item]
        if isinstance(value, str)
        else [item.child(i) for i in range(len(value))]
        if isinstance(value, list)
        else None
    )
    if refs is None:
        raise _fail(item, f"got {value!r}, expected a list of tests or a file:// path")
    tests: list[Located] = []
    for ref in refs:
        if not isinstance(ref.value, str):
            tests.append(ref)
            continue
        for path in expand_paths(ref.value, base, ref.where):
            if path.suffix == ".csv":
                tests += read_tests_csv(path, ref.where)
            elif path.suffix in (".yaml", ".yml", ".json", ".jsonl"):
                data = read_data_file(path, ref.where)
                if isinstance(data.value, list):
                    tests += [data.child(i) for i in range(len(data.value))]
                elif isinstance(data.value, dict):
                    tests.append(data)
                else:
                    raise ConfigError(f"{path}:1: expected a list of tests")
            else:
                raise _fail(
                    ref,
                    f"tests from {path.suffix or path.name} files are not supported (CSV, YAML, JSON, JSONL)",
                )
    return tests


def _assertions(item: Located, base: Path) -> tuple[Assertion, ...]:
    if item.value is None:
        return ()
    if not isinstance(item.value, list):
        raise _fail(item, f"got {item.value!r}, expected a list of assertions")
    out: list[Assertion] = []
    for i, raw in enumerate(item.value):
        one = item.child(i)
        data = assertion_from_string(raw) if isinstance(raw, str) else raw
        if not isinstance(data, dict):
            raise _fail(one, f"got {raw!r}, expected an assertion {{type: ..., value: ...}}")
        problem = problem_of(data, base)
        if problem is not None:
            key, message = problem
            raise ConfigError(f"{one.source.where((*one.loc, key))}: {message}")
        uses_js = base_type(data["type"]) == "javascript" or _inline_js(data.get("transform"))
        if uses_js and not node_available():
            raise _fail(one, f"a javascript assertion or transform {NODE_MISSING}")
        children = (
            _assertions(Located(data.get("assert"), one.source, (*one.loc, "assert")), base)
            if data["type"] == "assert-set"
            else ()
        )
        weight = data.get("weight", 1.0)
        out.append(
            Assertion(
                type=data["type"],
                value=data.get("value"),
                threshold=float(data["threshold"]) if data.get("threshold") is not None else None,
                weight=float(weight),
                metric=data.get("metric"),
                transform=data.get("transform"),
                rubric_prompt=data.get("rubricPrompt"),
                context_transform=data.get("contextTransform"),
                children=children,
                where=one.where,
            )
        )
    return tuple(out)


def _inline_js(code: Any) -> bool:
    return isinstance(code, str) and not (code.startswith("file://") and ".py" in code)


def _check_keys(item: Located, known: set[str], what: str) -> None:
    if not isinstance(item.value, dict):
        raise _fail(item, f"got {item.value!r}, expected a {what} mapping")
    for key in item.value:
        if key not in known:
            hint = did_you_mean(
                str(key),
                sorted(known),
                otherwise=f"; {what} keys llmops reads: {', '.join(sorted(known))}",
            )
            raise ConfigError(
                f"{item.source.where((*item.loc, key))}: {what} key {key!r} is not supported{hint}"
            )


def _expand_vars(
    variables: dict[str, Any], base: Path, where: str, expand: bool
) -> list[dict[str, Any]]:
    choices: list[list[Any]] = []
    for value in variables.values():
        if isinstance(value, str) and value.startswith("file://"):
            choices.append([_var_file(p, where) for p in expand_paths(value, base, where)])
        elif (
            expand and isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        ):
            choices.append(value)
        else:
            choices.append([value])
    return [dict(zip(variables, combo, strict=True)) for combo in itertools.product(*choices)]


def _var_file(path: Path, where: str) -> Any:
    if path.suffix in (".py", ".js", ".ts"):
        raise ConfigError(f"{where}: vars from scripts ({path.name}) are not supported")
    text = read_text(path, "vars")  # bounded; binary and non-UTF-8 refused by line
    if path.suffix in (".json", ".yaml", ".yml"):  # JSON is YAML: one bounded loader for both
        return load_yaml_text(text, str(path))[0]
    return text


def _plan(
    test: Located, default: dict[str, Any], base: Path, extra_vars: dict[str, Any], prefix: str
) -> list[TestPlan]:
    _check_keys(test, TEST_KEYS, "test")
    data = test.value
    for key in ("vars", "options", "metadata"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise _fail(test.child(key), f"expected a mapping, got {type(data[key]).__name__}")
    options_item = (
        test.child("options") if "options" in data else Located({}, test.source, test.loc)
    )
    _check_keys(options_item, OPTION_KEYS, "options")
    options = {**default.get("options", {}), **options_item.value}
    if "postprocess" in options:
        options.setdefault("transform", options.pop("postprocess"))
    if _inline_js(options.get("transform")) and not node_available():
        raise _fail(test, f"options.transform {NODE_MISSING}")
    asserts = default["asserts"] + (
        _assertions(test.child("assert"), base) if "assert" in data else ()
    )
    variables = {**default.get("vars", {}), **extra_vars, **(data.get("vars") or {})}
    description = data.get("description")
    if prefix:
        description = f"{prefix}: {description}" if description else prefix
    threshold = data.get("threshold", default.get("threshold"))
    metadata = {**default.get("metadata", {}), **(data.get("metadata") or {})}
    return [
        TestPlan(description, combo, asserts, options, threshold, metadata, test.where)
        for combo in _expand_vars(
            variables, base, test.where, not options.get("disableVarExpansion")
        )
    ]


def _providers(item: Located | None) -> list[tuple[str, dict[str, Any]]]:
    if item is None or item.value is None:
        return []
    values = item.value if isinstance(item.value, list) else [item.value]
    out: list[tuple[str, dict[str, Any]]] = []
    for value in values:
        if isinstance(value, str):
            out.append((value, {}))
        elif isinstance(value, dict) and isinstance(value.get("id"), str):
            out.append((value["id"], value))
        elif isinstance(value, dict) and len(value) == 1:  # {openai:gpt-4o: {config: ...}}
            ident, cfg = next(iter(value.items()))
            out.append((str(ident), cfg if isinstance(cfg, dict) else {}))
        else:
            raise _fail(item, f"got {value!r}, expected a provider id such as openai:gpt-4o-mini")
    return out


def read_config(path: Path) -> RawConfig:
    """Read the promptfoo config at ``path`` (see the module docstring)."""
    top = read_data_file(path, str(path))
    if not isinstance(top.value, dict):
        raise ConfigError(
            f"{path}:1: expected a promptfoo config mapping (prompts, providers, tests)"
        )
    base = path.parent
    top = Located(_dereferenced(top.value, top.value, top.source, ()), top.source, ())
    for key in top.value:
        if key not in TOP_KEYS | IGNORED_KEYS:
            hint = did_you_mean(str(key), sorted(TOP_KEYS), otherwise="")
            raise ConfigError(
                f"{top.source.where((key,))}: key {key!r} is not supported by llmops{hint}"
            )
    if "prompts" not in top.value:
        raise ConfigError(f"{path}:1: prompts: required key is missing")
    filters = (
        read_filters(top.child("nunjucksFilters"), base) if "nunjucksFilters" in top.value else ()
    )
    prompts = read_prompts(top.child("prompts"), base)
    default: dict[str, Any] = {"asserts": ()}
    if top.value.get("defaultTest") is not None:
        dt = top.child("defaultTest")
        if isinstance(dt.value, str):
            dt = read_data_file(expand_paths(dt.value, base, dt.where)[0], dt.where)
        _check_keys(dt, TEST_KEYS, "defaultTest")
        default = {
            "vars": dt.value.get("vars") or {},
            "options": dt.value.get("options") or {},
            "threshold": dt.value.get("threshold"),
            "metadata": dt.value.get("metadata") or {},
            "asserts": _assertions(dt.child("assert"), base) if "assert" in dt.value else (),
        }
    tests: list[TestPlan] = []
    for test in _test_items(
        top.child("tests") if "tests" in top.value else Located(None, top.source, ("tests",)), base
    ):
        tests += _plan(test, default, base, {}, "")
    if top.value.get("scenarios") is not None:
        tests += _scenarios(top.child("scenarios"), default, base)
    if not tests:
        raise ConfigError(f"{path}:1: tests: no tests (give tests or scenarios)")
    providers = _providers(top.child("providers") if "providers" in top.value else None)
    return RawConfig(top.value.get("description"), prompts, tests, providers, filters)


def _dereferenced(value: Any, root: Any, source: Source, loc: tuple[Any, ...]) -> Any:
    """``value`` with every local ``{$ref: '#/a/b'}`` replaced by what it points at (as
    promptfoo's JSON Schema dereferencing does for ``assertionTemplates``)."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and len(value) == 1:
            return _dereferenced(
                _pointer(ref, root, source.where((*loc, "$ref"))), root, source, loc
            )
        return {k: _dereferenced(v, root, source, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_dereferenced(v, root, source, (*loc, i)) for i, v in enumerate(value)]
    return value


def _pointer(ref: str, root: Any, where: str) -> Any:
    if not ref.startswith("#/"):
        raise ConfigError(f"{where}: got {ref!r}, expected a reference within the config (#/...)")
    node = root
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise ConfigError(f"{where}: {ref!r} points at nothing (no {key!r})")
    return node


def _scenarios(item: Located, default: dict[str, Any], base: Path) -> list[TestPlan]:
    if not isinstance(item.value, list):
        raise _fail(item, "expected a list of scenarios {description, config, tests}")
    out: list[TestPlan] = []
    for i in range(len(item.value)):
        scenario = item.child(i)
        if isinstance(scenario.value, str):
            scenario = read_data_file(
                expand_paths(scenario.value, base, scenario.where)[0], scenario.where
            )
        _check_keys(scenario, {"description", "config", "tests"}, "scenario")
        configs = scenario.value.get("config") or [{}]
        label = scenario.value.get("description") or f"scenario {i + 1}"
        for cfg in configs:
            extra = cfg.get("vars", {}) if isinstance(cfg, dict) else {}
            for test in _test_items(scenario.child("tests"), base):
                out += _plan(test, default, base, extra, label)
    return out
