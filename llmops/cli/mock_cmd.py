"""`llmops mock serve`: the fault-injecting LLM API mock on a loopback port."""

from __future__ import annotations

import typer

from llmops.cli.common import EXIT_INTERRUPTED, err_console, guarded
from llmops.errors import InputError


def register(app: typer.Typer) -> None:
    """Add the ``mock`` command group (``llmops mock serve``) to ``app``."""
    mock_app = typer.Typer(
        help="A fault-injecting mock of the OpenAI and Anthropic APIs.", no_args_is_help=True
    )

    @mock_app.command("serve")
    @guarded
    def serve_command(
        host: str = typer.Option("127.0.0.1", help="Address to bind (loopback unless told)."),
        port: int = typer.Option(8000, help="Port to bind (0-65535); 0 picks a free one."),
        profile: str = typer.Option(
            "default",
            help="Shipped profile name (default, rate-limited, overloaded, outage, flaky, drift, "
            "instant) or a YAML file.",
        ),
        seed: int = typer.Option(0, help="Seed for answers and injected faults."),
    ) -> None:
        """Serve POST /v1/chat/completions (OpenAI), POST /v1/messages (Anthropic), GET /v1/models,
        and the control endpoints GET /_mock/stats, GET|POST /_mock/profile (loopback only).

        Writes no files. Exit codes: 0 stopped with SIGTERM, 2 bad profile or options, 130
        stopped with Ctrl-C (a clean stop either way).
        """
        from llmops.mock import load_profile, serve

        if not 0 <= port <= 65535:
            raise InputError(f"--port: got {port}, expected a port from 0 to 65535 (0: a free one)")
        loaded = load_profile(profile)

        def ready(url: str) -> None:
            err_console.print(
                f"llmops mock: profile [bold]{loaded.name}[/], seed {seed}, listening on {url}\n"
                f"  OpenAI base_url {url}/v1 · Anthropic base_url {url} · stats {url}/_mock/stats",
                soft_wrap=True,
                highlight=False,
            )

        import signal

        try:
            stopped_by = serve(loaded, host=host, port=port, seed=seed, ready=ready)
        except OSError as exc:  # in use, not allowed, not an address of this machine
            raise InputError(
                f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})"
            ) from exc
        err_console.print("llmops mock: stopped, every connection closed", highlight=False)
        if stopped_by == signal.SIGINT:
            raise typer.Exit(EXIT_INTERRUPTED)

    app.add_typer(mock_app, name="mock")
