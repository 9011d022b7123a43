"""promptfoo configs run as they are: prompts, tests, vars, ``defaultTest``, ``scenarios``,
assertions and providers, read into an llmops suite and graded with promptfoo's semantics.

Modules: :mod:`.files` (``file://`` paths, CSV/YAML/JSON test files), :mod:`.config` (the
config into tests and prompts), :mod:`.templates` (Nunjucks via Jinja2), :mod:`.spec`
(assertions as written), :mod:`.metrics` (text metrics), :mod:`.asserts` (grading),
:mod:`.graders` (model-graded types, ``similar``), :mod:`.scripts` (JavaScript in Node.js,
Python), :mod:`.suite` (the suite, and ``providers:`` as a target).
"""

from __future__ import annotations

from llmops.workflows.evals.promptfoo_format.suite import (
    PromptfooSuite,
    load_promptfoo,
    provider_target,
)

__all__ = ["PromptfooSuite", "load_promptfoo", "provider_target"]
