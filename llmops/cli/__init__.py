"""The ``llmops`` command line: app assembly. Each command lives in its own module."""

from __future__ import annotations

from llmops.cli.app import app, main

__all__ = ["app", "main"]
