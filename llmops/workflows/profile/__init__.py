"""``llmops profile``: input profiles from production logs, and which input segments fail more.

:func:`profile_logs` streams JSON-lines logs of LLM calls, counts requests per feature combination,
tests every segment and pair and returns a :class:`ProfileResult` for the reporters.

The names below are loaded on first use (PEP 562), so importing a part of this package, the
command line's help or a log-scanning worker, does not load the statistics (numpy, scipy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._lazy import lazy_exports

if TYPE_CHECKING:
    from llmops.workflows.profile.analysis import Segment, Thresholds
    from llmops.workflows.profile.formats import FORMATS
    from llmops.workflows.profile.formats_logs import FailureRule, FieldMap
    from llmops.workflows.profile.profile import ProfileOptions, ProfileResult, profile_logs

__all__ = [
    "FORMATS",
    "FailureRule",
    "FieldMap",
    "ProfileOptions",
    "ProfileResult",
    "Segment",
    "Thresholds",
    "profile_logs",
]

_HOME = {
    "FORMATS": ".formats",
    "FailureRule": ".formats_logs",
    "FieldMap": ".formats_logs",
    "ProfileOptions": ".profile",
    "ProfileResult": ".profile",
    "Segment": ".analysis",
    "Thresholds": ".analysis",
    "profile_logs": ".profile",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
