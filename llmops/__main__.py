"""``python -m llmops`` runs the command line."""

from llmops.cli import main

main()
