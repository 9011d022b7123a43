"""Default file names, in a module that imports nothing.

The command line shows these in its ``--help`` without loading the modules that use them (the
configuration schema loads pydantic and PyYAML). Those modules re-export them.
"""

from __future__ import annotations

__all__ = ["DEFAULT_CONFIG_FILE"]

#: the configuration file read when none is named
DEFAULT_CONFIG_FILE = "llmops.yaml"
