"""Sans-I/O statistics: plain counts and numbers in, estimates and verdicts out.

Nothing here reads the clock, a file or the network, or starts a thread; numpy and scipy do the
arithmetic.

- :mod:`~llmops.stats.intervals`: :func:`percentiles`, :func:`wilson_interval`,
  :class:`LatencyRecorder`
- :mod:`~llmops.stats.significance`: segment failure rates and distribution shifts
  (:func:`rate_difference_test`, :func:`adjust_bh`, :func:`population_stability_index`,
  :func:`shift_test`)
- :mod:`~llmops.stats.drift`: eval pass rates and paired tests
  (:func:`pass_rate`, :func:`mcnemar`, :func:`cochran_mantel_haenszel`, :func:`drift_status`)
- :mod:`~llmops.stats.casewise`: the drift verdict's per-case test against each case's history,
  its two stages and the levels of repeated looks
- :mod:`~llmops.stats.knee`: the knee of a load ladder and queue limits (:func:`knee_of`,
  :func:`littles_law_limit`, :func:`queue_limit_below`)

The names are loaded on first use (PEP 562): importing one module does not load the others
(scipy, for the tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops._lazy import lazy_exports

if TYPE_CHECKING:
    from llmops.stats.drift import (
        PassRate,
        cochran_mantel_haenszel,
        drift_status,
        mcnemar,
        pass_rate,
    )
    from llmops.stats.intervals import LatencyRecorder, percentiles, wilson_interval
    from llmops.stats.knee import Knee, LoadPoint, knee_of, littles_law_limit, queue_limit_below
    from llmops.stats.significance import (
        RateTest,
        adjust_bh,
        population_stability_index,
        rate_difference_test,
        shift_test,
    )

__all__ = [
    "Knee",
    "LatencyRecorder",
    "LoadPoint",
    "PassRate",
    "RateTest",
    "adjust_bh",
    "cochran_mantel_haenszel",
    "drift_status",
    "knee_of",
    "littles_law_limit",
    "mcnemar",
    "pass_rate",
    "percentiles",
    "population_stability_index",
    "queue_limit_below",
    "rate_difference_test",
    "shift_test",
    "wilson_interval",
]

#: where each public name is defined
_HOME = {
    "Knee": ".knee",
    "LatencyRecorder": ".intervals",
    "LoadPoint": ".knee",
    "PassRate": ".drift",
    "RateTest": ".significance",
    "adjust_bh": ".significance",
    "cochran_mantel_haenszel": ".drift",
    "drift_status": ".drift",
    "knee_of": ".knee",
    "littles_law_limit": ".knee",
    "mcnemar": ".drift",
    "pass_rate": ".drift",
    "percentiles": ".intervals",
    "population_stability_index": ".significance",
    "queue_limit_below": ".knee",
    "rate_difference_test": ".significance",
    "shift_test": ".significance",
    "wilson_interval": ".intervals",
}


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
