"""``--target-function``: the team's own Python callable as the load test's target.

The contract (docs/loadtest-your-service.md says it at length):

- ``module:function`` (imported from the current directory first, as ``uvicorn app:app``
  does) or ``path/to/file.py:function``; after the colon a dotted path reaches an attribute
  of an attribute (``app.main:service.summarize``);
- it takes one positional argument, the prompt (``str``);
- it is ``async def`` (awaited on the event loop), an ``async def`` generator (its chunks
  are timed: TTFT and inter-chunk gaps with ``--stream``), or plain ``def`` (run in a worker
  thread, at most as many at once as the level has clients, so it never blocks the loop);
- it returns the answer: a ``str``, a mapping or object with ``text`` (or ``answer``,
  ``output``, ``content``) and optionally ``usage`` (``output_tokens`` or
  ``completion_tokens``), or ``None``; it raises to fail, and the exception's class name is
  the failure's class (an llmops :class:`~llmops.errors.CallError` counts by its
  ``error_type``).

Loading fails with :class:`~llmops.errors.InputError` naming the option and what was wrong:
a spec without ``:``, a module that does not import (and why), a missing attribute, a
value that is not callable or does not take one argument.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from llmops.core.textprofile import estimate_tokens
from llmops.errors import InputError, did_you_mean

__all__ = ["Answer", "FunctionTarget", "answer_of", "load_function"]

_OPTION = "--target-function"
_TEXT_KEYS = ("text", "answer", "output", "content")


@dataclass(frozen=True, slots=True)
class FunctionTarget:
    """A loaded callable: ``spec`` as given, ``call`` itself and how it is called
    (``mode``: ``async``, ``agen`` for an async generator, or ``sync``)."""

    spec: str
    call: Callable[[str], Any]
    mode: str
    #: what kind of target this is (``Target.kind``)
    kind: ClassVar[str] = "function"

    @property
    def label(self) -> str:
        """The target as reports name it: ``function app.llm:summarize``."""
        return f"function {self.spec}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a function's return value says: the answer text and its output tokens."""

    text: str
    output_tokens: int


def load_function(spec: str, *, cwd: str | Path | None = None) -> FunctionTarget:
    """Import the callable ``spec`` names (``module:attr`` or ``file.py:attr``).

    ``cwd`` (default: the current directory) is put first on ``sys.path`` so the team's
    own modules import as they do in their service."""
    module_part, sep, attr_path = spec.partition(":")
    if not sep or not module_part or not attr_path:
        raise InputError(
            f"{_OPTION}: got {spec!r}, expected module:function (e.g. app.llm:summarize) "
            "or path/to/file.py:function"
        )
    module = _import(module_part, Path(cwd) if cwd is not None else Path.cwd())
    obj: Any = module
    walked = []
    for name in attr_path.split("."):
        walked.append(name)
        if not hasattr(obj, name):
            known = [n for n in dir(obj) if not n.startswith("_")]
            where = f"{module_part}:{'.'.join(walked[:-1])}" if walked[:-1] else module_part
            extra = did_you_mean(name, known)
            raise InputError(f"{_OPTION}: {where} has no attribute {name!r}{extra}")
        obj = getattr(obj, name)
    if not callable(obj):
        raise InputError(
            f"{_OPTION}: {spec} is not callable (its type is {type(obj).__name__}): expected "
            "a function taking the prompt (str)"
        )
    try:
        inspect.signature(obj).bind("prompt")
    except TypeError:
        raise InputError(
            f"{_OPTION}: {spec} cannot be called with one argument (the prompt): "
            "expected a function like def summarize(prompt: str) -> str"
        ) from None
    except ValueError:  # no signature to read (some builtins): trust the call
        pass
    return FunctionTarget(spec, obj, _mode(obj))


def _mode(fn: Any) -> str:
    call = getattr(fn, "__call__", None)  # noqa: B004  (a callable object's async __call__)
    if inspect.isasyncgenfunction(fn) or inspect.isasyncgenfunction(call):
        return "agen"
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call):
        return "async"
    return "sync"


def _import(module_part: str, cwd: Path) -> Any:
    if module_part.endswith(".py") or os.sep in module_part or "/" in module_part:
        return _import_file(
            Path(module_part) if Path(module_part).is_absolute() else cwd / module_part
        )
    root = str(cwd)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(module_part)
    except Exception as exc:  # the team's module: any error while importing it is bad input
        raise InputError(f"{_OPTION}: cannot import {module_part}: {_why(exc)}") from None


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{_OPTION}: no file {path}")
    name = f"llmops_target_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"{_OPTION}: {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    # its own directory first, so it imports its neighbours as when run as a script
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise InputError(f"{_OPTION}: cannot import {path}: {_why(exc)}") from None
    return module


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        first = f"{exc.msg} ({exc.filename}, line {exc.lineno})"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def answer_of(value: Any) -> Answer:
    """The answer a function returned: ``str``; a mapping or object with ``text`` (or
    ``answer``/``output``/``content``) and ``usage``; anything else counts as an answer
    without text. Output tokens are the reported ``usage`` when there is one, else
    estimated from the text (the one token estimate)."""
    if value is None:
        return Answer("", 0)
    if isinstance(value, str):
        return Answer(value, estimate_tokens(value))
    text = _field(value, _TEXT_KEYS)
    text = text if isinstance(text, str) else ""
    usage = _field(value, ("usage",))
    reported = None
    if usage is not None:
        tokens = _field(usage, ("output_tokens", "completion_tokens"))
        if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:
            reported = tokens
    return Answer(text, reported if reported is not None else estimate_tokens(text))


def _field(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        found = value.get(key) if isinstance(value, Mapping) else getattr(value, key, None)
        if found is not None:
            return found
    return None
