"""normalize_input and profile_text: whitespace, tokens, code, language, informal markers."""

from __future__ import annotations

import pytest

from llmops.core.textprofile import estimate_tokens, normalize_input, profile_text
from llmops.language import language_detector_name

needs_detector = pytest.mark.skipif(
    language_detector_name() is None, reason="no offline language detector installed"
)


def test_normalize_collapses_whitespace_within_lines_and_blank_runs() -> None:
    text, changed, truncated = normalize_input("  hello   wrold \t\r\n\n\n\nbye  ")
    assert (text, changed, truncated) == ("hello wrold\n\nbye", True, False)


def test_normalize_keeps_clean_text_unchanged() -> None:
    assert normalize_input("already clean\n\ntext") == ("already clean\n\ntext", False, False)


def test_normalize_keeps_indentation_of_code() -> None:
    text, _, _ = normalize_input("def f():\n    return  1")
    assert text == "def f():\n    return 1"


def test_normalize_truncates_at_max_chars() -> None:
    assert normalize_input("abcdefgh", max_chars=3) == ("abc", False, True)


def test_counts_chars_words_lines() -> None:
    p = profile_text("one two\nthree", detect_language=False)
    assert (p.chars, p.words, p.lines) == (13, 3, 2)


def test_token_estimate_is_chars_over_4_for_latin_and_cyrillic() -> None:
    assert estimate_tokens("a" * 40) == 10
    assert estimate_tokens("ж" * 40) == 10


def test_token_estimate_is_utf8_bytes_over_4_for_cjk() -> None:
    assert estimate_tokens("请" * 40) == 30  # 120 UTF-8 bytes


def test_non_ascii_share() -> None:
    assert profile_text("aé", detect_language=False).non_ascii_share == 0.5


@pytest.mark.parametrize(
    "text",
    ["```python\nprint(1)\n```", "import os\nos.listdir()", "int main() { int x = 1; return x; }"],
)
def test_detects_code(text: str) -> None:
    assert profile_text(text, detect_language=False).has_code


def test_prose_is_not_code() -> None:
    assert not profile_text(
        "What is the capital of France? I need it for a quiz.", detect_language=False
    ).has_code


def test_counts_informal_markers() -> None:
    assert (
        profile_text(
            "thx u r great!! can u help w/ this pls", detect_language=False
        ).informal_markers
        == 7
    )


@needs_detector
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Please summarise the attached meeting notes and list every action item.", "en"),
        (
            "Bitte fasse die beigefügten Besprechungsnotizen zusammen und liste alle Aufgaben auf.",
            "de",
        ),
        ("Привет, можешь кратко пересказать эту переписку и перечислить задачи?", "ru"),
    ],
)
def test_detects_language_offline(text: str, language: str) -> None:
    assert profile_text(text).language == language


@needs_detector
def test_short_text_language_is_unknown() -> None:
    assert profile_text("hi there").language == "unknown"


def test_language_is_none_when_detection_is_off() -> None:
    assert (
        profile_text("Please summarise the attached meeting notes.", detect_language=False).language
        is None
    )


def test_a_lone_surrogate_gives_unknown_language_not_an_error() -> None:
    text = "hello \ud800 world, this is a long enough text to try to detect its language"
    assert profile_text(text).language in ("unknown", None)


@pytest.mark.parametrize(
    "text",
    [
        "tidy text.\nSecond line",
        "two  spaces",
        "trailing \nspace",
        "a\n\n\n\nb",
        "tab\there",
        " lead",
    ],
)
def test_the_tidy_fast_path_agrees_with_full_normalisation(text: str) -> None:
    from llmops.core import textprofile as tp

    slow = tp._MANY_NEWLINES.sub(
        "\n\n", tp._INLINE_WS.sub(tp._one_space, tp._TRAILING_WS.sub("", text))
    ).strip()
    assert normalize_input(text) == (slow, slow != text, False)
