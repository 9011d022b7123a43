"""`llmops config check` reports every problem in one pass and explains an empty file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from llmops.cli.app import app

BROKEN = """\
providers:
  openai: {kind: openai, base_url: "http://127.0.0.1:9/v1", model: m}
limits:
  timeout_s: -1
  requets_per_minute: 5
features:
  summarize: {provider: opena}
"""


def _check(path: Path) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, ["config", "check", str(path)], env={"COLUMNS": "200"})
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return result.exit_code, errors, result.stdout


def test_key_value_and_reference_errors_come_in_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text(BROKEN)
    code, errors, _ = _check(path)
    assert code == 2
    assert [e.split(": ", 2)[1].rsplit(":", 1)[1] for e in errors] == ["4", "5", "7"]
    assert "did you mean 'requests_per_minute'" in errors[1]
    assert "features.summarize.provider" in errors[2] and "did you mean 'openai'" in errors[2]


def test_a_reference_error_alone_is_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text(BROKEN.replace("limits:\n  timeout_s: -1\n  requets_per_minute: 5\n", ""))
    code, errors, _ = _check(path)
    assert code == 2 and len(errors) == 1 and "did you mean 'openai'" in errors[0]


def test_reference_checks_tolerate_any_shape_of_invalid_data(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text("providers: [1, 2]\nfeatures:\n  a: 3\n  b: {provider: [x]}\n")
    code, errors, _ = _check(path)
    assert code == 2 and errors and all("Traceback" not in e for e in errors)


def test_an_empty_file_says_it_is_empty_and_what_the_defaults_mean(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text("# nothing configured yet\n")
    code, errors, out = _check(path)
    assert (code, errors) == (0, [])
    assert "but empty" in out and "built-in mock" in out and "defaults" in out


def test_a_non_empty_valid_file_is_not_called_empty(tmp_path: Path) -> None:
    path = tmp_path / "llmops.yaml"
    path.write_text("limits: {max_concurrency: 8}\n")
    code, _, out = _check(path)
    assert code == 0 and "but empty" not in out
