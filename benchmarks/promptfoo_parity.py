"""Verdict parity with promptfoo itself on fixed model outputs, for every deterministic assertion.

A seeded generator writes one promptfoo config (``prompts: ['{{output}}']``, the ``echo``
provider, so the model output *is* the given string) holding a few hundred tests: every
deterministic assertion type llmops supports with its ``not-`` form, inline ``javascript`` and
``python``, thresholds, weights, a test ``threshold``, ``assert-set`` and ``transform``
(``latency``, ``cost`` and ``perplexity`` need a real provider's numbers: not compared here). promptfoo (installed from npm into a
scratch directory, never a dependency of llmops) runs it; llmops reads the same config with its
promptfoo reader and grades the same strings with the same code the eval runner uses
(:func:`grade_test` on each loaded test). Per test and per assertion the two verdicts are
compared; disagreements are printed with their inputs.

    npm install --prefix /tmp/pfnpm promptfoo       # once
    python benchmarks/promptfoo_parity.py --promptfoo /tmp/pfnpm/node_modules/.bin/promptfoo
    python benchmarks/promptfoo_parity.py --promptfoo ... --tests 400 --seed 7 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import yaml

OUTPUTS = [
    "Paris is the capital of France.",
    "paris IS the Capital of france",
    '{"name": "Ada", "age": 36}',
    'Here is the record: {"name": "Ada", "age": 36} as requested.',
    "[1, 2, 3]",
    "The answer is 42",
    "Bonjour, le monde! Ça va?",
    "The quick brown fox jumps over the lazy dog.",
    "A quick brown dog jumps over the lazy fox.",
    "line one\nline two",
    "Error: timeout after 30s",
    '{"label": "refund", "score": 0.9}',
    "not json {broken",
    "Comma, separated, values",
    "I'm sorry, as an AI language model I cannot do that.",
    '```json\n{"label": "other"}\n```',
    "Prices: $500 or 500 EUR",
    "ÀÉÎÕÜ accented CAPS",
]
SCHEMAS = [
    {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
    {"type": "object", "required": ["label"], "properties": {"label": {"enum": ["refund"]}}},
    {"type": "array", "items": {"type": "integer"}},
]
REGEXES = [r"\d+", r"^Paris", r"fox\.$", r"[A-Z]{2,}", r"\bthe\b", r"^\s*\{", r"\d{2}s?$", r"é|É"]
TRANSFORMS = ["output.toUpperCase()", "output.trim()", "output.slice(0, 10)"]
TYPES = [
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any",
    "icontains-all", "starts-with", "regex", "is-json", "contains-json", "levenshtein",
    "rouge-n", "bleu", "javascript", "python",
]  # fmt: skip
#: inline code: a bool, a score (compared with the threshold, else > 0), or a grading object
JAVASCRIPT = [
    "output.length > 20", "output.length / 50", "output.includes('the')",
    "({pass: output.startsWith('{'), score: 0.5, reason: 'json-ish'})", "output.split(' ').length;",
]  # fmt: skip
PYTHON = [
    "len(output) > 20", "len(output) / 50", "'the' in output", "output.count(' ') / 10",
    "{'pass': len(output) > 10, 'score': 0.5, 'reason': 'long'}", "str(len(output) > 25).lower()",
]  # fmt: skip


def _word(rng: random.Random, text: str) -> str:
    words = text.split()
    return rng.choice(words) if words else text


def _edited(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars) + 1)
        op = rng.choice("ids")
        if op == "i" or not chars:
            chars.insert(i, rng.choice("abcxyz "))
        elif op == "d":
            del chars[min(i, len(chars) - 1)]
        else:
            chars[min(i, len(chars) - 1)] = rng.choice("abcxyz")
    return "".join(chars)


def assertion(rng: random.Random, output: str) -> dict[str, Any]:
    """One random assertion about ``output`` (hits and misses both likely)."""
    kind = rng.choice(TYPES)
    other = rng.choice(OUTPUTS)
    a: dict[str, Any] = {"type": kind}
    if kind == "equals":
        value: Any = rng.choice([output, output.lower(), other, output + " "])
        try:
            parsed = json.loads(output)
            if isinstance(parsed, dict) and rng.random() < 0.5:
                value = parsed
        except ValueError:
            pass
        a["value"] = value
    elif kind in ("contains", "icontains"):
        a["value"] = rng.choice([_word(rng, output), _word(rng, output).upper(), _word(rng, other)])
    elif kind.endswith(("-any", "-all")):
        items = [rng.choice([_word(rng, output), _word(rng, other), _word(rng, output).lower()])]
        items += [_word(rng, rng.choice([output, other])) for _ in range(rng.randrange(1, 3))]
        a["value"] = items if rng.random() < 0.7 else ", ".join(items)
    elif kind == "starts-with":
        a["value"] = rng.choice([output[: rng.randrange(1, 8)], output[:5].lower(), other[:6]])
    elif kind == "regex":
        a["value"] = rng.choice(REGEXES)
    elif kind in ("is-json", "contains-json"):
        if rng.random() < 0.5:
            a["value"] = rng.choice(SCHEMAS)
    elif kind == "levenshtein":
        a["value"] = _edited(rng, output, rng.randrange(0, 9))
        if rng.random() < 0.7:
            a["threshold"] = rng.randrange(1, 9)
    elif kind == "rouge-n":
        a["value"] = rng.choice([_edited(rng, output, 3), other, output])
        if rng.random() < 0.7:
            a["threshold"] = round(rng.uniform(0.2, 0.95), 2)
    elif kind in ("javascript", "python"):
        a["value"] = rng.choice(JAVASCRIPT if kind == "javascript" else PYTHON)
        if rng.random() < 0.4:
            a["threshold"] = round(rng.uniform(0.1, 0.9), 2)
    elif kind == "bleu":
        a["value"] = rng.choice([_edited(rng, output, 2), other, output])
        if rng.random() < 0.7:
            a["threshold"] = round(rng.uniform(0.05, 0.8), 2)
    if rng.random() < 0.3:
        a["type"] = "not-" + kind
    if rng.random() < 0.15:
        a["transform"] = rng.choice(TRANSFORMS)
    if rng.random() < 0.25:
        a["weight"] = rng.choice([0, 0.5, 2, 3])
    return a


def build_tests(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` promptfoo tests over fixed outputs."""
    rng = random.Random(seed)
    tests = []
    for i in range(n):
        output = rng.choice(OUTPUTS)
        asserts = [assertion(rng, output) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        test: dict[str, Any] = {"description": f"t{i}", "vars": {"output": output}}
        if rng.random() < 0.1:
            inner = [assertion(rng, output) for _ in range(2)]
            group: dict[str, Any] = {"type": "assert-set", "assert": inner}
            if rng.random() < 0.5:
                group["threshold"] = round(rng.uniform(0.3, 0.9), 2)
            asserts.append(group)
        if len(asserts) > 1 and rng.random() < 0.3:
            test["threshold"] = round(rng.uniform(0.3, 0.9), 2)
        test["assert"] = asserts
        tests.append(test)
    return tests


def write_config(tests: list[dict[str, Any]], folder: Path) -> Path:
    path = folder / "promptfooconfig.yaml"
    config = {"prompts": ["{{output}}"], "providers": ["echo"], "tests": tests}
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def promptfoo_verdicts(cli: str, config: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """promptfoo's verdict per test description: ``{pass, components}``."""
    out = folder / "promptfoo-out.json"
    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(folder / ".promptfoo"),
    }
    cmd = [cli, "eval", "-c", str(config), "-o", str(out), "--no-cache", "--no-table", "-j", "4"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=folder, check=False)
    if not out.exists():
        raise SystemExit(
            f"promptfoo wrote no results (exit {proc.returncode}): {proc.stderr[-800:]}"
        )
    data = json.loads(out.read_text())
    found: dict[str, dict[str, Any]] = {}
    for r in data["results"]["results"]:
        grading = r.get("gradingResult") or {}
        found[r["testCase"]["description"]] = {
            "pass": bool(r["success"]),
            "components": [bool(c.get("pass")) for c in grading.get("componentResults") or []],
            "error": r.get("error"),
        }
    return found


def llmops_verdicts(config: Path) -> dict[str, dict[str, Any]]:
    """llmops's verdict per test description, from its promptfoo reader and grader."""
    from llmops.workflows.evals.promptfoo import load_promptfoo
    from llmops.workflows.evals.promptfoo_format.asserts import CallFacts, grade_test

    suite = load_promptfoo(config)
    found: dict[str, dict[str, Any]] = {}

    async def grade_all() -> None:
        for index in range(len(suite.cases)):  # the loaded tests, as the runner grades them
            plan = suite.plan_for(index)
            test = plan.test
            facts = CallFacts(vars=test.vars, prompt=plan.messages[-1][1], base=config.parent)
            graded = await grade_test(
                test.asserts, plan.messages[-1][1], facts, None, threshold=test.threshold
            )
            found[str(test.description)] = {
                "pass": graded.passed,
                "components": [v.passed for v in graded.verdicts],
            }

    anyio.run(grade_all)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--promptfoo", required=True, help="the promptfoo CLI (npm-installed)")
    parser.add_argument("--tests", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", type=Path, help="write the comparison here")
    parser.add_argument("--keep", type=Path, help="keep the generated config in this folder")
    args = parser.parse_args(argv)
    tests = build_tests(args.tests, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        config = write_config(tests, folder)
        theirs = promptfoo_verdicts(args.promptfoo, config, folder)
        ours = llmops_verdicts(config)
    version = subprocess.run(
        [args.promptfoo, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"promptfoo {version}, {len(tests)} tests (seed {args.seed})")
    by_desc = {t["description"]: t for t in tests}
    agree_tests = agree_asserts = n_asserts = 0
    per_type: dict[str, list[int]] = {}
    disagreements = []
    for desc, test in by_desc.items():
        t, o = theirs.get(desc), ours[desc]
        if t is None:
            disagreements.append({"test": desc, "why": "promptfoo gave no result", **test})
            continue
        agree_tests += t["pass"] == o["pass"]
        for k, a in enumerate(test["assert"]):
            if k >= len(t["components"]) or k >= len(o["components"]):
                continue
            same = t["components"][k] == o["components"][k]
            n_asserts += 1
            agree_asserts += same
            stat = per_type.setdefault(a["type"].removeprefix("not-"), [0, 0])
            stat[0] += same
            stat[1] += 1
            if not same:
                disagreements.append(
                    {"test": desc, "output": test["vars"]["output"], "assertion": a,
                     "promptfoo": t["components"][k], "llmops": o["components"][k]}
                )  # fmt: skip
        if t["pass"] != o["pass"] and not any(d.get("test") == desc for d in disagreements):
            disagreements.append(
                {"test": desc, "test_level": True, "promptfoo": t["pass"], "llmops": o["pass"],
                 "threshold": test.get("threshold"), "assert": test["assert"],
                 "output": test["vars"]["output"]}
            )  # fmt: skip
    print(f"tests: {agree_tests}/{len(tests)} verdicts equal")
    print(f"assertions: {agree_asserts}/{n_asserts} verdicts equal")
    for kind, (same, total) in sorted(per_type.items()):
        print(f"  {kind:14} {same}/{total}")
    for d in disagreements[:40]:
        print("DIFF", json.dumps(d, ensure_ascii=False)[:600])
    if args.json:
        args.json.write_text(
            json.dumps(
                {"promptfoo": version, "seed": args.seed,
                 "tests": len(tests), "tests_equal": agree_tests, "assertions": n_asserts,
                 "assertions_equal": agree_asserts, "per_type": per_type,
                 "disagreements": disagreements},
                indent=2, ensure_ascii=False,
            )
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
