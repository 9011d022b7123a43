"""Eval history: the store interface eval runs are kept behind, and how to open one.

A run (:class:`~llmops.workflows.evals.records.EvalRun`) is written whole or not at all (:meth:`HistoryStore.append`) and read
back by suite and time (:meth:`HistoryStore.query`). Two backends share the interface and one
test suite: :class:`~llmops.stores.history_sqlite.SqliteHistory` (a file, the default) and
:class:`~llmops.stores.history_postgres.PostgresHistory` (a URL, for teams whose CI runners are
ephemeral). :func:`open_history` picks one from a path or URL. The records themselves live in
:mod:`llmops.workflows.evals.records`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from llmops.workflows.evals.records import EvalRun

__all__ = ["DEFAULT_HISTORY", "HistoryStore", "open_history"]

DEFAULT_HISTORY = ".llmops/eval-history.sqlite3"


class HistoryStore(Protocol):
    """Where eval runs are kept. Implementations must make :meth:`append` atomic."""

    def append(self, run: EvalRun) -> None:
        """Store ``run`` with all its cases in one transaction (whole or nothing)."""
        ...

    def query(
        self, suite: str, since: float | None = None, until: float | None = None
    ) -> list[EvalRun]:
        """Runs of ``suite`` started in ``[since, until)``, oldest first."""
        ...

    def suites(self) -> list[str]:
        """Names of the suites with stored runs."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def open_history(location: str | None = None) -> HistoryStore:
    """A store from a SQLite path (default :data:`DEFAULT_HISTORY`) or a ``postgresql://`` URL."""
    location = location or DEFAULT_HISTORY
    if location.startswith(("postgresql://", "postgres://")):
        from llmops.stores.history_postgres import PostgresHistory

        return PostgresHistory(location)
    from llmops.stores.history_sqlite import SqliteHistory

    return SqliteHistory(location)
