"""The runbook check as JUnit XML: one test case per feature x question; waived is skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from llmops.workflows.runbook.model import SHORT, RunbookResult

_FAILING = frozenset({"fail", "stale", "inconclusive"})


def render(result: RunbookResult) -> str:
    """A ``<testsuites>`` document: failures for fail/stale/inconclusive (and warn under
    ``--fail-on warn``), errors for checks that could not run, skipped for waived."""
    failing = _FAILING | ({"warn"} if result.fail_on == "warn" else frozenset())
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="llmops-runbook")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for feature, a in result.answers():
        counts["tests"] += 1
        tc = ET.SubElement(
            suite,
            "testcase",
            classname=f"runbook.{feature}",
            name=f"q{a.question}-{SHORT[a.question]}",
            time="0",
        )
        text = "\n".join(x for x in (a.title, a.message, a.numbers, a.fix and f"fix: {a.fix}") if x)
        if a.status in failing:
            counts["failures"] += 1
            ET.SubElement(
                tc, "failure", message=f"{a.status}: {a.message}", type=a.status
            ).text = text
        elif a.status == "error":
            counts["errors"] += 1
            ET.SubElement(tc, "error", message=a.message, type="error").text = text
        elif a.status == "waived":
            counts["skipped"] += 1
            ET.SubElement(tc, "skipped", message=f"waived: {a.waiver}")
        else:
            ET.SubElement(tc, "system-out").text = text
    for key, value in counts.items():
        suite.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
