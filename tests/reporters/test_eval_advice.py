"""The repeat advice line folds repetition counts that give the same detectable drop."""

from llmops.reporters.eval_common import _advice


def test_equal_tail_is_folded_into_or_more() -> None:
    line = _advice([(1, 0.087), (2, 0.043), (3, 0.043), (5, 0.043)])
    assert line.startswith("1 → 8.7 points, 2 or more → 4.3 points")
    assert "3 →" not in line and "5 →" not in line


def test_distinct_values_are_all_listed() -> None:
    line = _advice([(1, 0.2), (2, 0.1), (3, 0.07), (5, 0.05)])
    assert line == "1 → 20.0 points, 2 → 10.0 points, 3 → 7.0 points, 5 → 5.0 points"


def test_unreachable_drop_is_not_explained_as_whole_cases() -> None:
    inf = float("inf")
    line = _advice([(1, inf), (2, inf), (3, inf), (5, inf)])
    assert line == "1 or more → more than the suite has"
