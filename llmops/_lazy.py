"""Public names loaded on first use (PEP 562), for packages whose parts should not drag in the rest.

A package lists where each public name lives and installs the two module hooks::

    __getattr__, __dir__ = lazy_exports(__name__, {"Engine": "llmops.engine.engine", "Tally": ".tally"})

Homes are module names, absolute or relative to the package. A name is imported from its home
the first time it is read, then kept in the package's namespace. ``submodules`` are subpackages
reachable as attributes without their own import (``import llmops; llmops.sdk.http_client``),
imported the first time they are read.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str], submodules: Collection[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, loading each name in ``homes`` (and each of
    its ``submodules``) on first use."""
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")  # sets the attribute itself
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(module), *getattr(module, "__all__", ()), *submodules})

    return __getattr__, __dir__
