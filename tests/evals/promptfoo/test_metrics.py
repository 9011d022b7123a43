"""The text metrics as promptfoo defines them, and the mock's embeddings endpoint."""

from __future__ import annotations

import math

import orjson
import pytest

from llmops.mock.embeddings import embed_text
from llmops.mock.handler import MockApp
from llmops.workflows.evals.promptfoo_format import metrics
from llmops.workflows.evals.promptfoo_format.asserts import script_verdict
from llmops.workflows.evals.promptfoo_format.graders import cosine


def test_bleu_of_an_identical_text_is_one_and_case_is_ignored() -> None:
    assert metrics.bleu("The cat sat on the mat", ["the cat sat on the mat"]) == pytest.approx(1)


def test_bleu_follows_the_geometric_mean_with_brevity_penalty() -> None:
    # candidate "the cat sat mat" vs reference "the cat sat on the mat": precisions 1, 2/3,
    # 1/2 and 0 for 4-grams (floored at 1e-7); brevity penalty exp(1 - 6/4)
    logs = math.log(1) + math.log(2 / 3) + math.log(1 / 2) + math.log(1e-7)
    expected = math.exp(1 - 6 / 4) * math.exp(0.25 * logs)
    assert metrics.bleu("the cat sat mat", ["the cat sat on the mat"]) == pytest.approx(expected)


def test_bleu_leaves_out_orders_the_candidate_is_too_short_for() -> None:
    # "the cat sat" has no 4-gram: the mean is over orders 1-3 (all precise), times the penalty
    assert metrics.bleu("the cat sat", ["the cat sat on the mat"]) == pytest.approx(
        math.exp(1 - 6 / 3)
    )
    assert metrics.bleu("[1, 2, 3]", ["[1, 2, 3]"]) == pytest.approx(1)


def test_bleu_takes_the_best_clipped_counts_over_references() -> None:
    one = metrics.bleu("a b c d e", ["x y z w v"])
    both = metrics.bleu("a b c d e", ["x y z w v", "a b c d e"])
    assert one < 0.01 and both == pytest.approx(1)


def test_rouge_n_is_the_f1_of_clipped_unigram_overlap() -> None:
    # precision 2/2, recall 2/4
    assert metrics.rouge_n("The cat", "the cat sat down") == pytest.approx(2 * 1 * 0.5 / 1.5)
    # "the" twice in the reference counts once for the one in the candidate
    assert metrics.rouge_n("the cat", "the the") == pytest.approx(2 * 0.5 * 0.5 / 1.0)


def test_levenshtein_passes_within_the_threshold_default_five() -> None:
    assert metrics.levenshtein("kitten", "sitting", None)[0] is True  # distance 3
    assert metrics.levenshtein("kitten", "sitting", 2)[0] is False


def test_comma_separated_values_split_as_promptfoo_does() -> None:
    assert metrics.split_values('a, "b, c",d') == ["a", "b, c", "d"]
    assert metrics.split_values('"say ""hi""", x,,  y') == ['say "hi"', "x", "y"]
    assert metrics.split_values(["x", 1, True]) == ["x", "1", "true"]


@pytest.mark.parametrize("bad", ['"open, x', '"a" b, c'])
def test_a_malformed_quoted_list_errors_the_test(bad: str) -> None:
    with pytest.raises(metrics.TestError):
        metrics.split_values(bad)


def test_json_objects_are_found_inside_prose_leniently_as_promptfoo_does() -> None:
    found = metrics.find_json_values('see {"a": 1} and {"b": [2]} then {broken')
    # an unclosed brace is closed, and the span read as YAML flow: {broken} is an object
    assert found == [{"a": 1}, {"b": [2]}, {"broken": None}]
    assert metrics.find_json_values("no braces [1, 2]") == []


@pytest.mark.parametrize(
    ("result", "threshold", "passed"),
    [
        (True, None, True),
        (0.0, None, False),
        (0.3, None, True),
        (0.3, 0.5, False),
        ({"pass": True, "score": 0.2}, 0.5, False),
        ({"score": 0.7}, 0.5, True),
        ("yes", None, False),
        ("true", None, True),
        ('{"pass": false, "score": 1}', None, False),
    ],
)
def test_python_results_are_read_as_promptfoo_reads_them(
    result: object, threshold: float | None, passed: bool
) -> None:
    assert script_verdict(result, threshold, python=True)[0] is passed


def test_javascript_objects_are_not_held_to_the_threshold() -> None:
    # promptfoo holds only Python's {pass, score} to the threshold
    assert script_verdict({"pass": True, "score": 0.2}, 0.5)[0] is True
    assert script_verdict(0.2, 0.5)[0] is False


def test_mock_embeddings_score_similar_texts_high() -> None:
    same = cosine(
        embed_text("The capital of France is Paris"), embed_text("Paris is the capital of France")
    )
    other = cosine(
        embed_text("The capital of France is Paris"), embed_text("Bananas grow in warm places")
    )
    assert same == pytest.approx(1) and other < 0.5


def test_mock_serves_embeddings_in_the_openai_format() -> None:
    app = MockApp("instant")
    body = orjson.dumps({"model": "m", "input": ["hello world", "hello"]})
    plan = app.handle("POST", "/v1/embeddings", {}, body, 0.0)
    data = orjson.loads(plan.body)
    assert plan.status == 200
    assert [d["index"] for d in data["data"]] == [0, 1]
    assert len(data["data"][0]["embedding"]) == 256
    bad = app.handle("POST", "/v1/embeddings", {}, b'{"input": 3}', 0.0)
    assert bad.status == 400


def test_a_test_error_fails_the_test_whatever_its_threshold() -> None:
    from pathlib import Path

    import anyio

    from llmops.workflows.evals.promptfoo_format.asserts import CallFacts, grade_test
    from llmops.workflows.evals.promptfoo_format.spec import Assertion

    asserts = (
        Assertion("contains", "Paris"),
        Assertion("not-contains-any", '"Lyon" Berlin'),  # a quoted field without its comma
    )
    facts = CallFacts(vars={}, prompt="q", base=Path("."))
    graded = anyio.run(lambda: grade_test(asserts, "Paris", facts, None, threshold=0.1))
    assert not graded.passed
    assert graded.error is not None and "comma after a quoted field" in graded.error


def test_a_not_script_flips_the_verdict_and_keeps_a_returned_score() -> None:
    # as promptfoo: a returned score stays what the code said, a bool's follows the verdict
    assert script_verdict(0.84, None, inverse=True)[:2] == (False, 0.84)
    assert script_verdict(True, None, inverse=True)[:2] == (False, 0.0)
    assert script_verdict({"pass": False, "score": 0.2}, None, inverse=True)[:2] == (True, 0.2)
