"""``llmops queue``: status, dead letters and draining of the reprocess queues."""

from __future__ import annotations

from llmops.engine.drain import Drained, QueueDrain
from llmops.workflows.queue.queue import (
    DrainSummary,
    dead_letters,
    drain,
    drain_all,
    queue_features,
    queue_status,
)

__all__ = [
    "DrainSummary",
    "Drained",
    "QueueDrain",
    "dead_letters",
    "drain",
    "drain_all",
    "queue_features",
    "queue_status",
]
