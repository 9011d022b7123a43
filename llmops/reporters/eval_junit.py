"""The eval result as JUnit XML: one test case per eval case, one failure per failing case."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from llmops.reporters.eval_common import case_summaries, verdict_lines
from llmops.workflows.evals.eval import EvalOutcome

# characters XML 1.0 cannot carry at all (model outputs may hold them: NUL, ANSI escapes)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render(outcome: EvalOutcome) -> str:
    """A ``<testsuites>`` document; a REGRESSION adds a failing ``drift`` test case."""
    run = outcome.run
    cases = case_summaries(run)
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=f"llmops-eval.{run.suite}")
    failures = 0
    for s in cases:
        tc = ET.SubElement(
            suite, "testcase", classname=run.suite, name=_xml(s.case_id), time=f"{s.latency_s:.3f}"
        )
        ET.SubElement(tc, "system-out").text = _xml(s.output or "")
        if not s.ok:
            failures += 1
            failure = ET.SubElement(
                tc, "failure", message=f"{s.passed}/{s.total} trials passed", type="EvalFailure"
            )
            failure.text = _xml("\n".join(s.failures))
    total = len(cases)
    c = outcome.comparison
    if c is not None:
        total += 1
        tc = ET.SubElement(suite, "testcase", classname=run.suite, name="drift", time="0")
        if c.status != "OK":
            failures += 1
            failure = ET.SubElement(tc, "failure", message=c.status, type="Drift")
            failure.text = _xml("\n".join(verdict_lines(outcome)))
    suite.set("tests", str(total))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
