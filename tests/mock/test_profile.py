"""Profile loading: shipped profiles, precise errors, live patches, and the CLI's exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llmops.cli.app import app
from llmops.cli.common import run_guarded
from llmops.errors import ConfigError
from llmops.mock.profile import (
    MockProfile,
    load_profile,
    merge_patch,
    patch_profile,
    shipped_profiles,
)

SHIPPED = ["default", "drift", "flaky", "instant", "outage", "overloaded", "rate-limited"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    return info.value.problems


def test_the_shipped_profiles_are_all_there() -> None:
    assert shipped_profiles() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profile_loads(name: str) -> None:
    assert load_profile(name).name == name


def test_a_profile_loads_by_path(tmp_path: Path) -> None:
    assert load_profile(write(tmp_path, "name: mine\n")).name == "mine"


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nlatency:\n  ttft: 0.2\n")
    assert problems(path) == [f"{path}:3: latency.ttft: unknown key; did you mean 'ttft_s'?"]


def test_bad_value_names_value_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, "capacity:\n  slots: 0\n")
    assert problems(path) == [
        f"{path}:2: capacity.slots: got 0, expected greater than or equal to 1"
    ]


def test_unknown_error_status_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "faults:\n  error_rates:\n    quotta: 0.1\n")
    [line] = problems(path)
    assert (
        line.startswith(f"{path}:3: faults.error_rates: got ") and "did you mean 'quota'?" in line
    )


def test_invalid_regex_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "answers:\n  - match: {regex: '(unclosed'}\n    text: x\n")
    [line] = problems(path)
    assert "answers[0].match.regex: got '(unclosed', expected a valid regular expression" in line


def test_outage_needs_a_window(tmp_path: Path) -> None:
    path = write(tmp_path, "faults:\n  outages:\n    - {status: 503}\n")
    [line] = problems(path)
    assert "faults.outages[0]" in line and "a window by time" in line


def test_unknown_profile_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"one of: default, drift.*did you mean 'flaky'\?"):
        load_profile("flakey")


def test_merge_patch_merges_mappings_and_deletes_nulls() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": [1], "e": 5}
    assert merge_patch(base, {"a": {"b": 9}, "d": [2], "e": None}) == {
        "a": {"b": 9, "c": 2},
        "d": [2],
    }


def test_patch_changes_only_the_given_keys() -> None:
    patched = patch_profile(load_profile("default"), {"capacity": {"queue": 3}})
    assert (patched.capacity.queue, patched.capacity.slots) == (3, 32)


def test_replace_starts_from_the_defaults() -> None:
    replaced = patch_profile(load_profile("default"), {"capacity": {"queue": 3}}, replace=True)
    assert replaced == MockProfile(capacity={"queue": 3})  # type: ignore[arg-type]


def test_bad_patch_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"profile patch: faults.malformed_json: got 2"):
        patch_profile(MockProfile(), {"faults": {"malformed_json": 2}})


def test_cli_exits_2_with_one_line_for_a_bad_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "capacity:\n  slotz: 3\n")
    monkeypatch.setattr(sys, "argv", ["llmops", "mock", "serve", "--profile", str(path)])
    code = run_guarded(app)
    err = capsys.readouterr().err
    assert (code, err.count("\n"), "capacity.slotz: unknown key" in err) == (2, 1, True)


def test_drift_answers_like_default_before_its_switch() -> None:
    default, drift = load_profile("default"), load_profile("drift")
    assert [a.model_dump() for a in drift.answers] == [a.model_dump() for a in default.answers]
