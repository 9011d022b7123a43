"""normalize_input and profile_text: whitespace, tokens, code, language, informal markers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmops.core.textprofile import (
    INFORMAL_PREFIX_CHARS,
    INFORMAL_PUNCTUATION,
    INFORMAL_WORDS,
    Measured,
    estimate_tokens,
    measure_text,
    normalize_input,
    profile_text,
)
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


@pytest.mark.parametrize(
    ("text", "words", "informal"),
    [("a\u00a0u c", 3, 1), ("x\u3000thx", 2, 1), ("\u2003lead", 1, 0), ("\u212a thx", 2, 2),
     ("¿qué tal? u", 3, 1), ("\u0434\u0432\u0430\u2028u", 2, 1), ("caf\u00e9\u00a0\u00a0k", 2, 1)],
)  # fmt: skip
def test_words_and_informal_markers_split_on_unicode_spaces(
    text: str, words: int, informal: int
) -> None:
    profile = profile_text(text, detect_language=False)
    assert (profile.words, profile.informal_markers) == (words, informal)


def plain_measures(text: str) -> Measured:
    """The text measures by their plain definitions (the reference for the byte-level ones)."""
    head = text[:INFORMAL_PREFIX_CHARS].lower().split()
    markers = sum(w.rstrip(INFORMAL_PUNCTUATION) in INFORMAL_WORDS and len(w) - len(w.rstrip(INFORMAL_PUNCTUATION)) <= 1 for w in head)  # fmt: skip
    wide = sum(len(c.encode("utf-8", "surrogatepass")) for c in text if ord(c) >= 0x800)
    narrow = sum(1 for c in text if ord(c) < 0x800)
    return (
        len(text),
        len(text.split()),
        text.count("\n") + 1 if text else 0,
        (narrow + wide + 3) // 4,
        measure_text(text)[4],  # code: one rule, tested above
        None,
        sum(1 for c in text if ord(c) > 127) / len(text) if text else 0.0,
        markers + text.count("!!") + text.count("??"),
    )


_WORDY = st.lists(
    st.sampled_from(["thx", "u", "U.", "w/", "lol!", "ok??", "!!", "k", "é", "\u00a0", " ", "\n",
                     "\t", "\u3000", "请", "😀", "word", "\u212a", "\x1c", "b4,", "ya;"]),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(_WORDY, st.text(max_size=80)))
def test_measures_agree_with_their_plain_definitions(text: str) -> None:
    assert measure_text(text) == plain_measures(text)
    assert estimate_tokens(text) == plain_measures(text)[3]


def test_the_language_is_what_the_given_function_answers() -> None:
    seen: list[str] = []
    measured = measure_text("Bonjour tout le monde", lambda t: seen.append(t) or "xx")
    assert (measured[5], seen) == ("xx", ["Bonjour tout le monde"])
    assert measure_text("Bonjour tout le monde")[5] is None
