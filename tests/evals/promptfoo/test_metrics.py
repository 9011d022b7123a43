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
    # candidate "the cat sat" vs reference "the cat sat on the mat": precisions 1, 1, 1 and
    # 0 for 4-grams (floored at 1e-7); brevity penalty exp(1 - 6/3)
    expected = math.exp(1 - 6 / 3) * math.exp(0.25 * math.log(1e-7))
    assert metrics.bleu("the cat sat", ["the cat sat on the mat"]) == pytest.approx(expected)


def test_bleu_takes_the_best_clipped_counts_over_references() -> None:
    one = metrics.bleu("a b c d e", ["x y z w v"])
    both = metrics.bleu("a b c d e", ["x y z w v", "a b c d e"])
    assert one < 0.01 and both == pytest.approx(1)


def test_rouge_n_is_unigram_recall_of_the_reference() -> None:
    assert metrics.rouge_n("the cat", "the cat sat down") == pytest.approx(2 / 4)
    assert metrics.rouge_n("the cat sat down today", "the cat") == pytest.approx(1)


def test_levenshtein_passes_within_the_threshold_default_five() -> None:
    assert metrics.levenshtein("kitten", "sitting", None)[0] is True  # distance 3
    assert metrics.levenshtein("kitten", "sitting", 2)[0] is False


def test_comma_separated_values_split_as_promptfoo_does() -> None:
    assert metrics.split_values('a, "b, c",d') == ["a", "b, c", "d"]
    assert metrics.split_values(["x", 1]) == ["x", "1"]


def test_json_objects_are_found_inside_prose() -> None:
    found = metrics.find_json_values('see {"a": 1} and {"b": [2]} but not {broken')
    assert found == [{"a": 1}, {"b": [2]}]


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
    ],
)
def test_script_results_are_read_as_promptfoo_reads_them(
    result: object, threshold: float | None, passed: bool
) -> None:
    assert script_verdict(result, threshold)[0] is passed


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
