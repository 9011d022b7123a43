"""``python -m llmops.mock``: run the mock server (what :func:`spawn_mock_server` starts).

Prints ``llmops mock: listening on URL`` once bound; exits 2 on a bad profile.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading

from llmops.errors import ConfigError
from llmops.mock.server import serve
from llmops.mock.spawn import READY_PREFIX


def _stop_at_stdin_eof() -> None:
    """Wait for stdin to close, then stop the server as SIGTERM would."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m llmops.mock", description=__doc__)
    parser.add_argument("--profile", default="default", help="shipped profile name or YAML file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when stdin closes (the spawning process died)",
    )
    args = parser.parse_args(argv)
    if args.exit_with_stdin:
        threading.Thread(target=_stop_at_stdin_eof, daemon=True).start()
    try:
        serve(
            args.profile,
            host=args.host,
            port=args.port,
            seed=args.seed,
            ready=lambda url: print(READY_PREFIX + url, flush=True),
        )
    except ConfigError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
