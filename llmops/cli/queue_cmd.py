"""``llmops queue status|drain|dead``: parse, call the queue workflow, print, exit.

Exit codes: 0 done (``drain``: the queue is empty or ``--limit`` was reached); 1 ``drain``
stopped because the breaker opened again or the engine was overloaded (items are left); 2 bad
input or configuration (an unreachable ``state.url`` too); 130 ``drain`` interrupted (Ctrl-C:
it stops after the item in hand, answered and acknowledged).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from llmops.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, ctrl_c_sets, guarded, out_console
from llmops.defaults import DEFAULT_CONFIG_FILE

if TYPE_CHECKING:
    from llmops.engine.drain import Drained
    from llmops.workflows.queue import DrainSummary

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The llmops.yaml whose queues to use.")
]
_EXITS = (
    "Exit codes: 0 done, 1 stopped by an open breaker (items left), 2 bad input or config, "
    "130 interrupted."
)


def _answer_line(d: Drained) -> bytes:
    import orjson

    response = d.result.response
    return (
        orjson.dumps(
            {
                "id": d.item.id,
                "feature": d.item.feature,
                "enqueued_at": d.item.enqueued_at,
                "attempts": d.item.attempts,
                "messages": d.item.messages,
                "answer": d.result.text,
                "model": response.model if response is not None else None,
            }
        )
        + b"\n"
    )


def register(app: typer.Typer) -> None:
    """Add the ``queue`` command group (``status``, ``drain``, ``dead``) to ``app``."""
    queue_app = typer.Typer(
        help="The reprocess queues: status, draining after an outage, dead letters.",
        no_args_is_help=True,
    )
    app.add_typer(queue_app, name="queue")

    @queue_app.command("status")
    @guarded
    def status(
        config: ConfigOpt = Path(DEFAULT_CONFIG_FILE),
        feature: Annotated[str | None, typer.Option(help="Only this feature's queue.")] = None,
    ) -> None:
        """Waiting, leased and dead items of each queue.

        Exit codes: 0 printed; 2 bad input or configuration.
        """
        import anyio

        from llmops.config import load_config
        from llmops.workflows.queue import queue_status

        found = anyio.run(queue_status, load_config(config), feature, backend="asyncio")
        console = out_console()
        for s in found:
            console.print(f"{s.feature}: {s.waiting} waiting, {s.leased} leased, {s.dead} dead")

    @queue_app.command("dead")
    @guarded
    def dead(
        config: ConfigOpt = Path(DEFAULT_CONFIG_FILE),
        feature: Annotated[str | None, typer.Option(help="Only this feature's queue.")] = None,
        limit: Annotated[int, typer.Option(min=1, help="At most this many per queue.")] = 100,
    ) -> None:
        """The dead letters: items given up on, with the reason (one JSON object a line).

        Exit codes: 0 printed; 2 bad input or configuration.
        """
        import anyio
        import orjson

        from llmops.config import load_config
        from llmops.workflows.queue import dead_letters

        found = anyio.run(dead_letters, load_config(config), feature, limit, backend="asyncio")
        for d in found:
            line = {"id": d.id, "feature": d.feature, "reason": d.reason, "attempts": d.attempts}
            typer.echo(orjson.dumps({**line, "payload": d.payload}).decode())

    @queue_app.command("drain", help=f"Reprocess a feature's queued calls.\n\n{_EXITS}")
    @guarded
    def drain(
        feature: Annotated[str, typer.Option(help="The feature whose queue to drain.")],
        config: ConfigOpt = Path(DEFAULT_CONFIG_FILE),
        out: Annotated[
            Path | None, typer.Option(help="Append each answer to this JSON-lines file.")
        ] = None,
        limit: Annotated[int | None, typer.Option(min=1, help="Stop after N items.")] = None,
        rate: Annotated[
            float | None, typer.Option(min=0.001, help="At most this many items per second.")
        ] = None,
    ) -> None:
        """Call the model again for each queued call, oldest first, through the engine (limits
        and breaker apply); stops by itself when the breaker opens again. An item is removed
        only after its answer is written to --out."""
        import anyio

        from llmops.config import load_config
        from llmops.workflows.queue import drain_all

        cfg = load_config(config)
        console = out_console()
        sink: BinaryIO | None = None
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            sink = out.open("ab")

        def on_item(d: Drained) -> None:
            if sink is not None:  # durable before the item is acknowledged
                sink.write(_answer_line(d))
                sink.flush()
                os.fsync(sink.fileno())
            console.print(f"{d.item.id}: answered ({len(d.result.text or '')} characters)")

        async def run() -> DrainSummary:
            stop = anyio.Event()
            with ctrl_c_sets(stop):  # Ctrl-C: stop after the item in hand, acknowledged
                console.print(f"{feature}: draining (Ctrl-C stops after the item in hand)")
                return await drain_all(cfg, feature, on_item, limit=limit, rate=rate, stop=stop)

        try:
            summary = anyio.run(run, backend="asyncio")
        finally:
            if sink is not None:
                sink.close()
        left = summary.left
        console.print(
            f"{feature}: {summary.done} answered, {summary.failed} failed and given back;"
            f" stopped: {summary.stopped}; left: {left.waiting} waiting, {left.dead} dead"
        )
        if summary.stopped == "interrupted":
            raise typer.Exit(EXIT_INTERRUPTED)
        if summary.stopped in ("breaker_open", "overloaded"):
            raise typer.Exit(EXIT_FAILED)
