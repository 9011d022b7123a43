"""Planted effects are found, noise is not reported, a baseline shift is told apart."""

from __future__ import annotations

from pathlib import Path

from llmops.workflows.profile import ProfileOptions, Thresholds, profile_logs
from tests.profile.helpers import write_synthetic

OFF = ProfileOptions(detect_language=False)


def test_planted_length_effect_is_the_top_finding(tmp_path: Path) -> None:
    log = write_synthetic(
        tmp_path / "planted.jsonl", 3000, 1, lambda text, _de: 0.23 if len(text) > 2000 else 0.08
    )
    top = profile_logs([str(log)], OFF).findings[0]
    assert top.conditions == (("length", 2),)
    assert top.sentence.startswith("inputs over 2,000 characters fail 1")


def test_null_log_gives_no_finding_at_default_thresholds(tmp_path: Path) -> None:
    log = write_synthetic(tmp_path / "null.jsonl", 3000, 2, lambda _text, _de: 0.1)
    assert profile_logs([str(log)]).findings == []


def test_planted_language_effect_is_reported_as_german_inputs(tmp_path: Path) -> None:
    log = write_synthetic(
        tmp_path / "german.jsonl", 3000, 3, lambda _text, de: 0.30 if de else 0.08
    )
    sentences = [s.sentence for s in profile_logs([str(log)]).findings]
    assert any(s.startswith("German inputs fail") for s in sentences)


def test_min_effect_threshold_suppresses_small_effects(tmp_path: Path) -> None:
    log = write_synthetic(
        tmp_path / "planted.jsonl", 3000, 1, lambda text, _de: 0.23 if len(text) > 2000 else 0.08
    )
    options = ProfileOptions(detect_language=False, thresholds=Thresholds(min_effect=0.30))
    assert profile_logs([str(log)], options).findings == []


def test_segments_below_min_support_are_not_tested(tmp_path: Path) -> None:
    log = write_synthetic(tmp_path / "small.jsonl", 60, 4, lambda _text, _de: 0.1)
    options = ProfileOptions(detect_language=False, thresholds=Thresholds(min_support=40))
    assert all(s.n >= 40 for s in profile_logs([str(log)], options).segments)


def test_baseline_names_the_input_shift(tmp_path: Path) -> None:
    base = write_synthetic(tmp_path / "base.jsonl", 2000, 5, lambda _t, _d: 0.1)
    current = tmp_path / "current.jsonl"
    # current period: only long inputs
    write_synthetic(tmp_path / "all.jsonl", 6000, 6, lambda _t, _d: 0.1)
    with (tmp_path / "all.jsonl").open("rb") as src, current.open("wb") as dst:
        dst.writelines(line for line in src if len(line) > 2400)
    result = profile_logs([str(current)], OFF, baseline=[str(base)])
    length = next(s for s in result.shifts if s.feature == "length")
    assert length.shifted
    assert result.shift_verdict is not None and "the inputs changed" in result.shift_verdict
