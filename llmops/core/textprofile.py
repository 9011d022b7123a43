"""Input normalisation and the shape of one input text: pure, fast, offline.

:func:`normalize_input` tidies whitespace without touching spelling; :func:`profile_text` measures
a text (characters, words, lines, estimated tokens, code, language, non-ASCII share, informal
markers) in a few microseconds, so ``llmops profile`` can run it on every line of a large log.

Token estimate rule (:func:`estimate_tokens`): a character encoded in one or two UTF-8 bytes (ASCII,
Latin, Greek, Cyrillic, Hebrew, Arabic) counts as one unit, a character encoded in three or four
bytes (CJK ideographs, kana, Hangul, Thai, Indic scripts, emoji) counts as its UTF-8 bytes; the
estimate is ``ceil(units / 4)``. So Latin and Cyrillic text is estimated at characters/4 and CJK
text at UTF-8 bytes/4. It is an estimate for segmenting inputs, not a tokenizer.

Every measure is built on C-speed primitives (``str`` and ``bytes`` methods, ``bytes.translate``,
counts), so there is one implementation of them. Informal markers are counted in the first
:data:`INFORMAL_PREFIX_CHARS` characters, so the cost per text stays bounded.

This module is sans-I/O: the language is whatever the ``language`` function passed to
:func:`measure_text` answers. :func:`profile_text` uses :func:`llmops.language.detect_language`
(the offline detector, loaded there on first use).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmops.content import content_text, image_count

__all__ = [
    "CODE_LINE_STARTS",
    "IMAGE_TOKENS",
    "INFORMAL_PREFIX_CHARS",
    "INFORMAL_PUNCTUATION",
    "INFORMAL_WORDS",
    "LanguageFn",
    "Measured",
    "TextProfile",
    "content_tokens",
    "estimate_tokens",
    "measure_text",
    "normalize_input",
    "profile_text",
]

#: informal markers are counted in at most this many leading characters
INFORMAL_PREFIX_CHARS = 500

_INLINE_WS = re.compile(r"(?<=\S)(?:[^\S\n]{2,}|[^\S\n ])")
_TRAILING_WS = re.compile(r"[^\S\n]+(?=\n|\Z)")
_MANY_NEWLINES = re.compile(r"\n{3,}")

#: code: a fence, a line starting with one of these (indent aside), or braces with semicolons
CODE_LINE_STARTS = (
    "def ", "class ", "import ", "from ", "#include", "function ", "public ", "private ",
    "package ", "using ", "fn ", "func ", "const ", "let ", "var ", "SELECT ", "CREATE TABLE",
    "<?php", "#!/", "return ", "if (", "for (", "while (", "}", "@",
)  # fmt: skip
INFORMAL_WORDS = (
    "u", "ur", "r", "w/", "w/o", "thx", "thnx", "pls", "plz", "lol", "lmao", "btw", "idk", "imo",
    "imho", "gonna", "wanna", "gotta", "cuz", "tho", "omg", "ya", "k", "dunno", "asap", "b4",
)  # fmt: skip
#: a marker word may be followed by one of these
INFORMAL_PUNCTUATION = ".,!?:;"
#: informal markers as whitespace-separated lower-case words, bare or followed by punctuation
_INFORMAL = frozenset(w + p for w in INFORMAL_WORDS for p in ("", *INFORMAL_PUNCTUATION))
# Bytes below 0xC0 are ASCII or UTF-8 continuation bytes; what remains are lead bytes.
_BELOW_LEAD = bytes(range(0xC0))
_BELOW_3BYTE_LEAD = bytes(range(0xE0))
_BELOW_4BYTE_LEAD = bytes(range(0xF0))
# The ASCII characters str.split() splits on: \t \n \v \f \r, \x1c-\x1f and space.
_ASCII_SPACE = frozenset(i for i in range(128) if chr(i).isspace())
# UTF-8 bytes -> b" " for ASCII whitespace, b"x" for anything else: words are the b"x" runs.
# Lead bytes that may start a non-ASCII space (U+0085, U+00A0: C2; U+1680: E1; U+2000-U+200A,
# U+2028, U+2029, U+202F, U+205F: E2; U+3000: E3) become b"w" and send a text the exact way.
_WORD_CLASS = bytes(
    0x20 if i in _ASCII_SPACE else 0x77 if i in (0xC2, 0xE1, 0xE2, 0xE3) else 0x78
    for i in range(256)
)
# UTF-8 bytes -> ASCII letters lower-cased, ASCII whitespace as b" ", the rest unchanged.
_LOWER_SPACED = bytes(
    0x20 if i in _ASCII_SPACE else i + 32 if 0x41 <= i <= 0x5A else i for i in range(256)
)
_INFORMAL_BYTES = frozenset(w.encode() for w in _INFORMAL)

#: a text's language code (``"unknown"`` when unclear), or None when no detector is installed
LanguageFn = Callable[[str], "str | None"]


#: the fields of :class:`TextProfile` as a plain tuple, in order (see :func:`measure_text`)
Measured = tuple[int, int, int, int, bool, str | None, float, int]


@dataclass(frozen=True, slots=True)
class TextProfile:
    """Shape of one input text, as measured by :func:`profile_text`."""

    chars: int
    words: int
    lines: int
    token_estimate: int
    has_code: bool
    language: str | None
    non_ascii_share: float
    informal_markers: int


def normalize_input(text: str, max_chars: int | None = None) -> tuple[str, bool, bool]:
    """Tidy whitespace and optionally truncate; return ``(normalized, changed, truncated)``.

    Runs of whitespace inside a line become one space (leading indentation is kept so code keeps
    its structure), trailing whitespace on each line is removed, ``\\r\\n`` becomes ``\\n``, three
    or more newlines become two, and the whole text is trimmed. Spelling is never changed.
    ``changed`` tells whether normalisation altered the text, ``truncated`` whether it was then cut
    to ``max_chars`` characters.
    """
    if _already_tidy(text):
        truncated = max_chars is not None and len(text) > max_chars
        return (text[: max(max_chars or 0, 0)] if truncated else text), False, truncated
    out = text.replace("\r\n", "\n") if "\r" in text else text
    out = _TRAILING_WS.sub("", out)
    out = _INLINE_WS.sub(_one_space, out)
    out = _MANY_NEWLINES.sub("\n\n", out).strip()
    changed = out != text
    truncated = max_chars is not None and len(out) > max_chars
    if truncated:
        out = out[: max(max_chars or 0, 0)]
    return out, changed, truncated


# In ASCII text these are the only places normalisation can change anything.
_UNTIDY_ASCII = ("  ", " \n", "\n\n\n", "\r", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def _already_tidy(text: str) -> bool:
    """A cheap proof that normalisation would leave ``text`` as it is (the engine's hot path:
    most inputs are tidy, and substring tests cost a fraction of the three regex passes)."""
    if not text or not text.isascii() or text[0].isspace() or text[-1].isspace():
        return False
    return not any(s in text for s in _UNTIDY_ASCII)


def _one_space(match: re.Match[str]) -> str:
    return " "


def _script_units(text: str) -> tuple[int, int]:
    """Return ``(units, non_ascii_chars)`` for the token rule in the module docstring."""
    if text.isascii():
        return len(text), 0
    return _wide_units(text, text.encode("utf-8", "surrogatepass"))


def _wide_units(text: str, raw: bytes) -> tuple[int, int]:
    """``(units, non_ascii_chars)`` of a non-ASCII ``text`` whose UTF-8 bytes are ``raw``."""
    leads = raw.translate(None, _BELOW_LEAD)
    wide = leads.translate(None, _BELOW_3BYTE_LEAD)
    widest = len(wide.translate(None, _BELOW_4BYTE_LEAD))
    three = len(wide) - widest
    return len(text) + 2 * three + 3 * widest, len(leads)


#: what one image counts for before the provider reports usage: OpenAI charges about 765 input
#: tokens for a 1024x1024 image at high detail, Anthropic width x height / 750 (about 1,400)
IMAGE_TOKENS = 1_000


def content_tokens(content: Any) -> int:
    """Estimated tokens of a message's content: its text, and each image it carries."""
    if isinstance(content, str):
        return estimate_tokens(content)
    return estimate_tokens(content_text(content)) + IMAGE_TOKENS * image_count(content)


def estimate_tokens(text: str) -> int:
    """Estimate tokens: characters/4 for Latin/Cyrillic, UTF-8 bytes/4 for CJK (rounded up)."""
    units, _ = _script_units(text)
    return (units + 3) // 4


def _has_code(text: str) -> bool:
    if "```" in text:
        return True
    semi = text.find(";")
    if semi >= 0 and text.find(";", semi + 1) >= 0 and "{" in text and "}" in text:
        return True
    if "\n" not in text:
        return text.lstrip().startswith(CODE_LINE_STARTS)
    return any(line.lstrip().startswith(CODE_LINE_STARTS) for line in text.split("\n"))


def _words(text: str, raw: bytes) -> int:
    """``len(text.split())`` without building the words, from the UTF-8 bytes ``raw``."""
    classes = raw.translate(_WORD_CLASS)
    if b"w" in classes:  # perhaps a non-ASCII space: the exact slow way
        return len(text.split())
    return classes.count(b" x") + (1 if classes[:1] == b"x" else 0)


def _informal(text: str, raw: bytes) -> int:
    """Informal marker words in the first :data:`INFORMAL_PREFIX_CHARS` characters."""
    if text.isascii():  # bytes are characters: lower-case and split in one translate
        head = raw[:INFORMAL_PREFIX_CHARS].translate(_LOWER_SPACED).split(b" ")
        if _INFORMAL_BYTES.isdisjoint(head):  # the common case, decided in C
            return 0
        return sum(map(_INFORMAL_BYTES.__contains__, head))
    words = text[:INFORMAL_PREFIX_CHARS].lower().split()
    if _INFORMAL.isdisjoint(words):
        return 0
    return sum(map(_INFORMAL.__contains__, words))


def measure_text(text: str, language: LanguageFn | None = None) -> Measured:
    """The fields of :class:`TextProfile`, in order, as a plain tuple (the profile scan's hot path).

    ``language`` answers the language (e.g. :func:`llmops.language.detect_language`); without it
    the language is ``None``.
    """
    chars = len(text)
    if text.isascii():
        raw = text.encode("ascii")
        units, non_ascii = chars, 0
    else:
        raw = text.encode("utf-8", "surrogatepass")
        units, non_ascii = _wide_units(text, raw)
    return (
        chars,
        _words(text, raw),
        (raw.count(b"\n") + 1 if b"\n" in raw else 1) if chars else 0,
        (units + 3) // 4,
        _has_code(text),
        None if language is None else language(text),
        non_ascii / chars if chars else 0.0,
        _informal(text, raw)
        + (raw.count(b"!!") if b"!" in raw else 0)
        + (raw.count(b"??") if b"?" in raw else 0),
    )


def profile_text(text: str, *, detect_language: bool = True) -> TextProfile:
    """Measure ``text``. With ``detect_language=False`` the language is ``None``."""
    if not detect_language:
        return TextProfile(*measure_text(text))
    from llmops.language import detect_language as language  # the detector lives outside core

    return TextProfile(*measure_text(text, language))
