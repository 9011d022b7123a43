"""Draft eval cases from profile findings (``llmops profile … --export-cases FILE``).

For each finding, a few real inputs from its segment — failed ones and passed ones, drawn from
the bounded samples the scan kept (:mod:`llmops.workflows.profile.samples`) — become cases of an
llmops eval suite (the format :mod:`llmops.workflows.evals.suite` loads). Secrets and e-mail
addresses are masked (:func:`llmops.redact.redact_text`).

The profile knows which inputs failed, not what a right answer is, so the checks are a person's
job: every case's description starts with ``TODO: add checks`` and a YAML comment marks the
place. Until then the suite holds one real, weak default check (the output is not empty), so the
draft loads and runs as it is (``llmops eval FILE``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from llmops.redact import redact_text
from llmops.workflows.profile.analysis import Segment
from llmops.workflows.profile.profile import ProfileResult
from llmops.workflows.profile.samples import Samples
from llmops.workflows.profile.tally import FEATURES

__all__ = ["CASES_PER_FINDING", "TODO", "draft_suite", "segment_inputs"]

#: cases per finding: up to half failed inputs, the rest passed ones
CASES_PER_FINDING = 4
#: the marker each draft case's description starts with
TODO = "TODO: add checks"
_INDEX = {name: i for i, name in enumerate(FEATURES)}


def _holds(conditions: tuple[tuple[str, Any], ...], key: tuple[Any, ...]) -> bool:
    for feature, value in conditions:
        have = key[_INDEX[feature]]
        if feature == "language" and isinstance(value, str) and value.startswith("!"):
            if have is None or have in (value[1:], "unknown"):
                return False
        elif have != value or type(have) is not type(value):
            return False
    return True


def segment_inputs(samples: Samples, segment: Segment, failed: bool, limit: int) -> list[str]:
    """Up to ``limit`` distinct kept inputs of ``segment`` with that outcome, masked."""
    out: list[str] = []
    seen: set[str] = set()
    for feature, _value in segment.conditions:
        for sample in samples.inputs(_INDEX[feature], failed):
            if len(out) >= limit:
                return out
            if sample.text not in seen and _holds(segment.conditions, sample.key):
                seen.add(sample.text)
                out.append(redact_text(sample.text))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "segment"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def draft_suite(
    result: ProfileResult,
    samples: Samples,
    *,
    name: str = "profile-findings",
    per_finding: int = CASES_PER_FINDING,
) -> tuple[str, int]:
    """The draft suite's YAML text and how many cases it holds (0 when no finding has inputs)."""
    cases: list[dict[str, Any]] = []
    for number, seg in enumerate(result.findings, 1):
        failed = segment_inputs(samples, seg, True, (per_finding + 1) // 2)
        passed = segment_inputs(samples, seg, False, per_finding - len(failed))
        for outcome, texts in (("failed", failed), ("passed", passed)):
            for j, text in enumerate(texts, 1):
                cases.append(
                    {
                        "id": f"f{number}-{_slug(seg.label)}-{outcome}-{j}",
                        "description": f"{TODO}. Finding {number}: {seg.sentence}. "
                        f"This input {outcome} in the log.",
                        "input": text,
                    }
                )
    suite = {
        "name": name,
        "description": "Draft cases from llmops profile findings: real inputs (secrets and "
        "e-mail addresses masked), failed and passed, per finding. Add each case's checks.",
        "defaults": {"checks": [{"type": "regex", "pattern": r"\S"}]},
        "cases": cases,
    }
    body = yaml.dump(suite, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    header = (
        f"# Drafted by `llmops profile --export-cases` from {', '.join(result.sources)}.\n"
        f"# {TODO}: the default check only asks for a non-empty answer; give every case the\n"
        "# checks that say what a right answer is, then run it with `llmops eval FILE`.\n"
    )
    body = re.sub(r"^- id: ", f"# {TODO} to the case below\n- id: ", body, flags=re.M)
    return header + body, len(cases)
