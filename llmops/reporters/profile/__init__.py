"""Reporters for ``llmops profile``: pure functions from a ProfileResult to text.

``render_json``, ``render_markdown`` and ``render_html`` return the report's text; the CLI writes
it into ``reports/``. ``render_terminal`` draws findings and tables on a rich console.
"""

from __future__ import annotations

from llmops.reporters.profile.html import render_html
from llmops.reporters.profile.json import render_json, to_dict
from llmops.reporters.profile.markdown import render_markdown
from llmops.reporters.profile.terminal import render_terminal

__all__ = ["render_html", "render_json", "render_markdown", "render_terminal", "to_dict"]
