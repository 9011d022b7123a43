"""``llmops runbook init``: add a commented ``runbook:`` section for every feature, in place.

The file is edited as text at positions PyYAML reports, so every comment, key order and answer
already there stays exactly as it was: a missing ``runbook:`` section is appended, missing
features are added at the end of ``runbook.features``; nothing present is overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from llmops.errors import InputError

_FEATURE = """\
{pad}{name}:
{pad}  owner: null                # who is paged when this feature breaks
{pad}  when_down: null            # TODO: what the user sees when the model API is down
{pad}  peak_concurrency: null     # TODO: concurrent calls at the expected peak
{pad}  p95_budget: null           # TODO: p95 latency budget at the peak, e.g. 2s
{pad}  success_floor: 0.99        # share of calls the model itself must answer at the peak
{pad}  eval_suite: null           # TODO: the eval suite watching this feature for drift
{pad}  eval_every: 24h            # how often that suite runs (llmops eval --every)
{pad}  alert_threshold: 0.03      # a pass-rate drop that must raise an alert
"""

_SECTION = """\

# The runbook: `llmops runbook check` answers six questions per feature from evidence
# (loadtest report, eval history) and drills (in-process, virtual time, isolated state).
# Fill in the TODOs; `llmops runbook render` writes RUNBOOK.md for on-call people.
runbook:
  evidence:
    loadtest: reports/loadtest-latest.json   # written by `llmops loadtest`
    max_age: 7d                # older evidence is stale
    history: null              # eval history: SQLite path or postgresql:// URL (default .llmops/eval-history.sqlite3)
  features:
{features}  waivers: []                  # - {{question: 3, feature: NAME, reason: ..., owner: ..., expires: 2026-12-31}}
"""


def _blocks(names: Sequence[str], pad: str) -> str:
    return "".join(_FEATURE.format(pad=pad, name=n) for n in names)


def _mapping_value(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if k.value == key:
            return k, v
    return None


def _last_line(node: yaml.Node) -> int:
    """The 0-based line holding the last character of ``node``'s content."""
    if (
        isinstance(node, (yaml.MappingNode, yaml.SequenceNode))
        and node.value
        and not node.flow_style
    ):
        last = node.value[-1]
        return _last_line(last[1] if isinstance(node, yaml.MappingNode) else last)
    end = node.end_mark
    return end.line if end.column > 0 else end.line - 1


def _insert(text: str, node: yaml.Node, block: str) -> str:
    """``block`` inserted on the line after the block mapping ``node``'s last value."""
    lines = text.splitlines(keepends=True)
    cut = _last_line(node) + 1
    if cut >= len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:cut]) + block + "".join(lines[cut:])


def add_runbook_section(
    text: str, features: Sequence[str], *, source: str = "llmops.yaml"
) -> tuple[str, list[str]]:
    """``text`` with runbook entries for the ``features`` that have none; and those features."""
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise InputError(f"{source}: expected a mapping at the top")
    found = _mapping_value(root, "runbook") if root is not None else None
    if found is None:
        body = text if not text or text.endswith("\n") else text + "\n"
        return body + _SECTION.format(features=_blocks(features, "    ")), list(features)
    key, section = found
    if not isinstance(section, yaml.MappingNode) or section.flow_style:
        raise InputError(
            f"{source}:{key.start_mark.line + 1}: runbook: write it as a block mapping to init it"
        )
    found_features = _mapping_value(section, "features")
    pad = " " * (section.value[0][0].start_mark.column if section.value else 2)
    if found_features is None:
        return _insert(text, section, f"{pad}features:\n{_blocks(features, pad + '  ')}"), list(
            features
        )
    fkey, fnode = found_features
    if not isinstance(fnode, yaml.MappingNode) or (fnode.flow_style and fnode.value):
        raise InputError(
            f"{source}:{fkey.start_mark.line + 1}: runbook.features: write it as a block mapping"
        )
    present = {k.value for k, _ in fnode.value}
    missing = [n for n in features if n not in present]
    if not missing:
        return text, []
    if not fnode.value:  # `features: {}` or `features:` with nothing under it
        lines = text.splitlines(keepends=True)
        line = fkey.start_mark.line
        lines[line] = f"{pad}features:\n"
        return "".join(lines[: line + 1]) + _blocks(missing, pad + "  ") + "".join(
            lines[line + 1 :]
        ), missing
    inner = " " * fnode.value[0][0].start_mark.column
    return _insert(text, fnode, _blocks(missing, inner)), missing
