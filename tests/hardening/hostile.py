"""The hostile-file corpus and the table of every loader that reads YAML/JSON from a user."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# imported here, once, so that each forked child starts with the loaders already in memory
import llmops.config
import llmops.mock.handler
import llmops.workflows.evals.loader
import llmops.workflows.loadtest  # noqa: F401


def _alias_bomb() -> bytes:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _merge_bomb() -> bytes:
    lines = ["a: &a {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} {{<<: [" + ", ".join([f"*{prev}"] * 9) + "]}")
    return ("\n".join(lines) + "\n").encode()


def _binary() -> bytes:
    rng = random.Random(14)
    return bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00"


#: name -> file content; each must be refused in one line naming the file, exit 2 on the CLI
HOSTILE: dict[str, bytes] = {
    "alias-bomb": _alias_bomb(),
    "merge-key-bomb": _merge_bomb(),
    "recursive-alias": b"name: &a [*a]\n",
    "python-tag": b'name: !!python/object/apply:os.system ["echo owned"]\n',
    "custom-tag": b"name: !include other.yaml\n",
    "binary-tag": b"name: !!binary aGVsbG8=\n",
    "binary-file": _binary(),
    "nul-run": b"name: x\n" + b"\x00" * 64 + b"\n",
    "latin-1": b"name: caf\xe9\n",
    "control-character": b"name: x\x01y\n",
    "float-overflow": b"name: x\nvalue: 1.0e+400\n",
    "dot-inf": b"name: x\nvalue: .inf\n",
    "dot-nan": b"name: x\nvalue: .nan\n",
    "huge-int": b"name: x\nvalue: " + b"9" * 5000 + b"\n",
    "deep-flow": b"name: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(400)).encode()
    + b"  " * 400
    + b"x\n",
    "too-large": b"name: x\n" + b"# padding\n" * 900_000,
}


@dataclass(frozen=True)
class Loader:
    """One way llmops reads a user's YAML: ``place`` writes content where the loader expects
    it (returning the name errors must mention), ``load`` reads it."""

    name: str
    place: Callable[[Path, bytes], tuple[Any, str]]
    load: Callable[[Any], Any]


def _file(name: str) -> Callable[[Path, bytes], tuple[Any, str]]:
    def place(tmp: Path, content: bytes) -> tuple[Any, str]:
        path = tmp / name
        path.write_bytes(content)
        return path, name

    return place


def _load_config(path: Path) -> Any:
    from llmops.config import load_config

    return load_config(path)


def _load_suite(path: Path) -> Any:
    from llmops.workflows.evals.loader import load_suite

    return load_suite(path)


def _load_profile(path: Path) -> Any:
    from llmops.mock.profile import load_profile

    return load_profile(path)


def _load_prices(path: Path) -> Any:
    from llmops.workflows.loadtest import load_prices

    return load_prices(path)


def _load_prompts(path: Path) -> Any:
    from llmops.workflows.loadtest import load_prompts

    return load_prompts(path)


def _patch_place(tmp: Path, content: bytes) -> tuple[Any, str]:
    return content, "profile patch"


def _post_patch(body: bytes) -> Any:
    """POST the body to the mock's control API; a refusal comes back as a 400 naming it."""
    import orjson

    from llmops.errors import ConfigError
    from llmops.mock.handler import MockApp

    mock = MockApp("instant")
    mock.start(0.0)
    plan = mock.handle("POST", "/_mock/profile", {}, body, 1.0, loopback=True)
    if plan.status == 400:
        raise ConfigError(orjson.loads(plan.body)["error"]["message"])
    return plan.status


def _prompt_file_place(tmp: Path, content: bytes) -> tuple[Any, str]:
    (tmp / "prompt.txt").write_bytes(content)
    config = tmp / "promptfooconfig.yaml"
    config.write_text(
        "prompts: [file://prompt.txt]\ntests: [{vars: {}, assert: [{type: equals, value: x}]}]\n"
    )
    return config, "prompt.txt"


def _tests_file(name: str) -> Callable[[Path, bytes], tuple[Any, str]]:
    """A promptfoo config whose tests come from the hostile file ``name``."""

    def place(tmp: Path, content: bytes) -> tuple[Any, str]:
        (tmp / name).write_bytes(content)
        config = tmp / "promptfooconfig.yaml"
        config.write_text(f"prompts: ['{{{{q}}}}']\ntests: file://{name}\n")
        return config, name

    return place


LOADERS = [
    Loader("config", _file("llmops.yaml"), _load_config),
    Loader("eval-suite", _file("suite.yaml"), _load_suite),
    Loader("promptfoo", _file("promptfooconfig.yaml"), _load_suite),
    Loader("mock-profile", _file("profile.yaml"), _load_profile),
    Loader("profile-patch", _patch_place, _post_patch),
    Loader("prices", _file("prices.yaml"), _load_prices),
    Loader("prompts-jsonl", _file("prompts.jsonl"), _load_prompts),
    Loader("promptfoo-tests-yaml", _tests_file("tests.yaml"), _load_suite),
    Loader("promptfoo-tests-jsonl", _tests_file("tests.jsonl"), _load_suite),
]

#: a loader and a file whose only fault is ``1e400`` (a string to YAML) where a number is expected
NOT_FINITE: dict[str, bytes] = {
    "config": b"limits:\n  requests_per_minute: 1e400\n",
    "eval-suite": b"name: s\ncases:\n  - input: x\n    checks: [{type: llm-judge, rubric: r, threshold: nan}]\n",
    "promptfoo": b"prompts: [p]\ntests:\n  - assert: [{type: llm-rubric, value: ok, threshold: nan}]\n",
    "mock-profile": b"latency:\n  ttft_s: 1e400\n",
    "profile-patch": b'{"latency": {"ttft_s": 1e400}}',
    "prices": b"gpt-4o: {input: 1e400, output: 1}\n",
}
