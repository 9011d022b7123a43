"""Every loader refuses every hostile file in one line naming it, in bounded time and memory.

Each case runs in a forked child under a memory limit (:mod:`tests.hardening.bounded`): before
the bounds, an alias bomb of a few hundred bytes took over 4 GB, a ``!!python`` tag or a
binary file ended in a traceback, and ``1e400`` was read as infinity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.bounded import run_bounded
from tests.hardening.hostile import (
    HOSTILE,
    LOADERS,
    NOT_FINITE,
    Loader,
    _prompt_file_place,
    _tests_file,
)

BY_NAME = {loader.name: loader for loader in LOADERS}


def _refused_in_one_line(loader: Loader, tmp_path: Path, content: bytes) -> str:
    target, shown = loader.place(tmp_path, content)
    outcome = run_bounded(lambda: loader.load(target))
    assert outcome.kind == "refused", outcome
    assert outcome.error in ("ConfigError", "InputError"), outcome
    assert len(outcome.detail.splitlines()) == 1, outcome.detail
    assert shown in outcome.detail, outcome.detail
    return outcome.detail


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.name)
def test_hostile_file_is_refused_in_one_line(loader: Loader, case: str, tmp_path: Path) -> None:
    _refused_in_one_line(loader, tmp_path, HOSTILE[case])


@pytest.mark.parametrize("loader", sorted(NOT_FINITE))
def test_a_number_that_is_not_finite_is_refused(loader: str, tmp_path: Path) -> None:
    line = _refused_in_one_line(BY_NAME[loader], tmp_path, NOT_FINITE[loader])
    assert any(w in line for w in ("finite", "less than or equal", "expected a number")), line


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("alias-bomb", "alias"),
        ("recursive-alias", "own anchor"),
        ("python-tag", "!!python/object/apply:os.system is not allowed"),
        ("binary-file", "binary data"),
        ("latin-1", ":1: not valid UTF-8 (byte 0xe9 at column 10)"),
        ("float-overflow", ":2: got 1.0e+400, expected a finite number"),
        ("deep-flow", "nested deeper than"),
        ("too-large", "larger than"),
    ],
)
def test_the_line_says_what_is_wrong_and_where(case: str, said: str, tmp_path: Path) -> None:
    assert said in _refused_in_one_line(BY_NAME["config"], tmp_path, HOSTILE[case])


@pytest.mark.parametrize("case", ["binary-file", "latin-1", "too-large"])
@pytest.mark.parametrize("name", ["prompt.txt", "tests.csv"])
def test_a_promptfoo_text_file_that_is_not_text_is_refused(
    name: str, case: str, tmp_path: Path
) -> None:
    place = _prompt_file_place if name == "prompt.txt" else _tests_file(name)
    loader = Loader(name, place, BY_NAME["promptfoo"].load)
    _refused_in_one_line(loader, tmp_path, HOSTILE[case])


def test_plain_yaml_with_anchors_still_loads(tmp_path: Path) -> None:
    from llmops.config import load_config

    path = tmp_path / "llmops.yaml"
    path.write_text(
        "providers:\n"
        "  a: &p {kind: openai, base_url: 'http://127.0.0.1:1/v1', model: m}\n"
        "  b: *p\n"
        "features:\n"
        "  x: {provider: a}\n"
    )
    cfg = load_config(path)
    assert cfg.providers["a"] == cfg.providers["b"]


@pytest.mark.parametrize(
    ("loader", "content", "key"),
    [
        ("config", b"limits:\n  timeout_s: 1e300\n", "limits.timeout_s"),
        ("config", b"retry:\n  backoff_cap_s: 1.0e+200\n", "retry.backoff_cap_s"),
        ("mock-profile", b"latency:\n  ttft_s: 1e300\n", "latency.ttft_s"),
        ("profile-patch", b'{"latency": {"ttft_s": 1e300}}', "latency.ttft_s"),
    ],
)
def test_an_absurd_duration_is_refused(
    loader: str, content: bytes, key: str, tmp_path: Path
) -> None:
    line = _refused_in_one_line(BY_NAME[loader], tmp_path, content)
    assert key in line and "less than or equal to 604800" in line, line
