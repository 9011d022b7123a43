"""Public names loaded on first use (PEP 562), for packages whose parts should not drag in the rest.

A package lists where each public name lives and installs the two module hooks::

    __getattr__, __dir__ = lazy_exports(__name__, {"Engine": "llmops.engine.engine", "Tally": ".tally"})

Homes are module names, absolute or relative to the package. A name is imported from its home
the first time it is read, then kept in the package's namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, loading each name in ``homes`` on first use."""
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(module), *getattr(module, "__all__", ())})

    return __getattr__, __dir__
