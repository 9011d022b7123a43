"""A misspelt check type is one line per distinct problem, with file:line and a did-you-mean,
not one pydantic-shaped line per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.errors import ConfigError
from llmops.workflows.evals.loader import load_suite

SUITE = """\
name: s
cases:
  - input: a
    checks: [{type: equal, value: x}]
  - input: b
    checks: [{type: equal, value: y}]
  - input: c
    checks:
      - {type: containz, value: y}
      - {value: y}
"""

PROMPTFOO = """\
prompts: ["{{q}}"]
tests:
  - vars: {q: a}
    assert: [{type: equal, value: x}]
  - vars: {q: b}
    assert: [{type: equal, value: y}]
"""


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_suite(path)
    return caught.value.problems


def test_a_misspelt_type_repeated_over_cases_is_one_line_with_a_suggestion(
    tmp_path: Path,
) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    problems = _problems(path)
    equal = [p for p in problems if "'equal'" in p]
    assert len(equal) == 1
    assert equal[0].startswith(f"{path}:4: cases[0].checks[0].type: unknown type 'equal'")
    assert "did you mean 'equals'?" in equal[0] and "line 6" in equal[0]


def test_each_distinct_misspelling_gets_its_own_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    problems = _problems(path)
    assert any(p.startswith(f"{path}:9:") and "did you mean 'contains'?" in p for p in problems)


def test_a_check_without_a_type_says_the_key_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    problems = _problems(path)
    assert f"{path}:10: cases[2].checks[1].type: required key is missing" in problems
    assert not any("discriminator" in p or "input tag" in p for p in problems)


def test_promptfoo_unsupported_type_is_one_line_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(PROMPTFOO)
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:4: tests[0].assert[0].type:")
    assert "did you mean 'equals'?" in problems[0]


def test_a_misspelt_fallback_strategy_in_the_config_gets_a_suggestion(tmp_path: Path) -> None:
    from llmops.config import load_config

    path = tmp_path / "llmops.yaml"
    path.write_text("features:\n  f:\n    fallback: {strategy: cache}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:3: features.f.fallback.strategy: unknown strategy 'cache'; did you mean 'cached'?"
    ]


def test_a_misspelt_key_repeated_over_many_cases_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    cases = "".join(
        f"  - input: q{i}\n    chekcs: [{{type: equals, value: x}}]\n" for i in range(9)
    )
    path.write_text("name: s\ncases:\n" + cases)
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:4: cases[0].chekcs: unknown key; did you mean 'checks'?")
    assert "(also on lines 6, 8, 10, 12, 14 and 3 more)" in problems[0]
