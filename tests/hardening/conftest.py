"""The load-test fixtures (trio's virtual clock) for the tables rendered from real ladders."""

from __future__ import annotations

from tests.loadtest.conftest import anyio_backend, mock_clock

__all__ = ["anyio_backend", "mock_clock"]
