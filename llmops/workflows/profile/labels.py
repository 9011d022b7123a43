"""Words for feature bins: the segment names findings and tables use."""

from __future__ import annotations

from typing import Any

__all__ = ["bin_label", "describe", "language_name", "log2_range"]

_LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "uk": "Ukrainian", "pl": "Polish",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "hi": "Hindi",
    "tr": "Turkish", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
    "cs": "Czech", "el": "Greek", "he": "Hebrew", "id": "Indonesian", "vi": "Vietnamese",
    "th": "Thai", "ro": "Romanian", "hu": "Hungarian", "fa": "Persian", "bn": "Bengali",
}  # fmt: skip
_LENGTH = ("under 500 characters", "of 500\u20132,000 characters", "over 2,000 characters")
_LINES = ("single-line", "of 2\u20135 lines", "of 6\u201320 lines", "of more than 20 lines")
_NON_ASCII = (
    "with no non-ASCII characters",
    "up to 10% non-ASCII",
    "10\u201350% non-ASCII",
    "over 50% non-ASCII",
)
_INFORMAL = (
    "with no informal markers",
    "with 1\u20132 informal markers",
    "with 3+ informal markers",
)
_TURNS = ("single-turn", "of 2\u20135 turns", "of 6\u201320 turns", "of more than 20 turns")
_UNITS = {"chars": "characters", "words": "words", "tokens": "estimated tokens"}


def language_name(code: str) -> str:
    """``"de"`` → ``"German"``; unknown codes are quoted as they are."""
    return _LANGUAGES.get(code, f"'{code}'")


def log2_range(k: int) -> tuple[int, int]:
    """Value range of log2 bin ``k`` (bin 0 holds 0; bin k holds 2^(k-1)…2^k - 1)."""
    return (0, 0) if k <= 0 else (1 << (k - 1), (1 << k) - 1)


def bin_label(feature: str, value: Any) -> str:
    """Short label of one bin, for tables and chart axes."""
    if value is None or value == -1:
        return "n/a"
    if feature in _UNITS:
        lo, hi = log2_range(int(value))
        return f"{lo:,}" if lo == hi else f"{lo:,}\u2013{hi:,}"
    table = {"length": ("<500", "500\u20132,000", ">2,000"), "lines": ("1", "2\u20135", "6\u201320", ">20"),
             "non_ascii": ("0%", "\u226410%", "10\u201350%", ">50%"), "informal": ("0", "1\u20132", "3+"),
             "turns": ("1", "2\u20135", "6\u201320", ">20"), "code": None}  # fmt: skip
    if feature == "code":
        return "code" if value else "no code"
    labels = table.get(feature)
    if labels is not None:
        return labels[int(value)]
    return str(value)


def _phrase(feature: str, value: Any) -> tuple[str, str]:
    """(adjective before "inputs", phrase after "inputs") for one condition."""
    if feature == "length":
        return "", _LENGTH[int(value)]
    if feature in _UNITS:
        return "", f"of {bin_label(feature, value)} {_UNITS[feature]}"
    if feature == "lines":
        return (_LINES[0], "") if int(value) == 0 else ("", _LINES[int(value)])
    if feature == "code":
        return "", "with code" if value else "without code"
    if feature == "language":
        if isinstance(value, str) and value.startswith("!"):
            return f"non-{language_name(value[1:])}", ""
        if value in ("unknown", None):
            return "", "of unknown language (too short or unclear)"
        return language_name(str(value)), ""
    if feature == "non_ascii":
        return "", _NON_ASCII[int(value)] if int(
            value
        ) == 0 else f"with {_NON_ASCII[int(value)]} characters"
    if feature == "informal":
        return "", _INFORMAL[int(value)]
    if feature == "turns":
        return "", f"in conversations {_TURNS[int(value)]}" if int(
            value
        ) else "in single-turn conversations"
    if feature == "model":
        return "", f"answered by {value}"
    return "", f"of feature '{value}'"


def describe(conditions: tuple[tuple[str, Any], ...]) -> str:
    """Plain words for a segment: ``(("language", "de"), ("code", True))`` → "German inputs with code"."""
    before: list[str] = []
    after: list[str] = []
    for feature, value in conditions:
        adj, tail = _phrase(feature, value)
        if adj:
            before.append(adj)
        if tail:
            after.append(tail)
    words = " ".join([*before, "inputs", *after[:1]])
    if len(after) > 1:
        words += " and " + " and ".join(after[1:])
    return words
