"""Suite and promptfoo files: shipped ones load; mistakes are one line with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.errors import ConfigError
from llmops.workflows.evals.loader import load_suite

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_suite_loads_by_name() -> None:
    suite = load_suite("support-classifier")
    assert suite.name == "support-classifier" and len(suite.cases) >= 20


def test_template_variables_fill_the_prompt() -> None:
    suite = load_suite("support-classifier")
    messages = suite.messages_for(0)
    assert messages[-1]["content"].endswith(
        "Ticket: I was charged twice for my subscription this month."
    )


def test_content_hash_changes_with_content(tmp_path: Path) -> None:
    a = load_suite(write(tmp_path, "name: s\ncases:\n  - {input: hi, checks: [{type: is-json}]}\n"))
    b = load_suite(
        write(tmp_path, "name: s\ncases:\n  - {input: ho, checks: [{type: is-json}]}\n", "b.yaml")
    )
    assert a.content_hash() != b.content_hash()


def test_unknown_key_has_line_and_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, "name: s\ncases:\n  - input: hi\n    chekcs: [{type: is-json}]\n")
    with pytest.raises(ConfigError) as err:
        load_suite(path)
    assert f"{path}:4: cases[0].chekcs: unknown key; did you mean 'checks'?" in str(err.value)


def test_unknown_check_type_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, "name: s\ncases:\n  - input: hi\n    checks: [{type: equal, value: x}]\n"
    )
    with pytest.raises(ConfigError, match=r"suite.yaml:4: cases\[0\]\.checks\[0\]"):
        load_suite(path)


def test_missing_template_variable_is_reported(tmp_path: Path) -> None:
    text = "name: s\nprompt: 'Ticket: {{ticket}}'\ncases:\n  - vars: {tiket: x}\n    checks: [{type: is-json}]\n"
    with pytest.raises(ConfigError, match="template variable 'ticket' is not set"):
        load_suite(write(tmp_path, text))


def test_duplicate_case_ids_are_reported(tmp_path: Path) -> None:
    text = "name: s\ncases:\n  - {id: a, input: x, checks: [{type: is-json}]}\n  - {id: a, input: y, checks: [{type: is-json}]}\n"
    with pytest.raises(ConfigError, match="duplicate case id 'a'"):
        load_suite(write(tmp_path, text))


def test_bad_regex_is_reported(tmp_path: Path) -> None:
    text = "name: s\ncases:\n  - input: x\n    checks: [{type: regex, pattern: '(['}]\n"
    with pytest.raises(ConfigError, match="a valid regular expression"):
        load_suite(write(tmp_path, text))


def test_unimportable_python_check_is_a_located_error(tmp_path: Path) -> None:
    text = "name: s\ncases:\n  - input: hi\n    checks: [{type: python, function: 'nosuch:f'}]\n"
    with pytest.raises(ConfigError) as err:
        load_suite(write(tmp_path, text))
    assert "suite.yaml:4: cases[0].checks[0]: python check 'nosuch:f': cannot import" in str(
        err.value
    )


def test_python_check_module_that_does_not_compile_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "broken_checks.py").write_text("def f(output, context):\n    return (\n")
    text = "name: s\ndefaults:\n  checks: [{type: python, function: 'broken_checks:f'}]\n"
    text += "cases:\n  - input: hi\n"
    with pytest.raises(ConfigError, match=r"suite.yaml:3: defaults.checks\[0\]: .*SyntaxError"):
        load_suite(write(tmp_path, text))


def test_python_check_missing_function_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "my_checks.py").write_text("def other(output, context):\n    return True\n")
    text = "name: s\ncases:\n  - input: hi\n    checks: [{type: python, function: 'my_checks:f'}]\n"
    with pytest.raises(ConfigError, match=r"suite.yaml:4: .*my_checks has no function 'f'"):
        load_suite(write(tmp_path, text))
