"""promptfoo prompts: inline strings, ``{raw, label}``, ``{file://x: label}``, ``file://``
files and globs (text split on ``---`` lines), and chat prompts (JSON/YAML/JSONL lists of
``{role, content}``, or an inline JSON list).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

from llmops.errors import ConfigError
from llmops.workflows.evals.promptfoo_format.files import Located, expand_paths
from llmops.yamlsafe import load_yaml_text, read_text

__all__ = ["Prompt", "chat_messages", "read_prompts"]


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt: a text template, or chat messages whose contents are templates."""

    label: str
    text: str | None = None
    chat: tuple[tuple[str, str], ...] | None = None
    #: chat JSON that is itself a template (``{% for %}`` over turns): rendered, then read as
    #: chat messages (as plain text when the result is not a chat list), as promptfoo does
    chat_template: str | None = None

    @property
    def uses_conversation(self) -> bool:
        """The prompt reads earlier turns through promptfoo's ``_conversation`` variable."""
        texts = [self.text or "", self.chat_template or ""]
        texts += [c for _, c in self.chat or ()]
        return any("_conversation" in t for t in texts)


def _fail(item: Located, message: str) -> ConfigError:
    return ConfigError(f"{item.where}: {message}")


def read_prompts(item: Located, base: Path) -> list[Prompt]:
    value = item.value
    entries: list[tuple[Located, str | None]] = []
    if isinstance(value, str):
        entries = [(item, None)]
    elif isinstance(value, dict):  # {file://path: label}
        entries = [(Located(k, item.source, (*item.loc, k)), str(v)) for k, v in value.items()]
    elif isinstance(value, list):
        entries = [(item.child(i), None) for i in range(len(value))]
    else:
        raise _fail(item, f"got {value!r}, expected a prompt, a list of prompts or file:// paths")
    out: list[Prompt] = []
    for entry, label in entries:
        raw = entry.value
        if isinstance(raw, dict):
            if "raw" in raw or "id" in raw:
                text = raw.get("raw", raw.get("id"))
                label = raw.get("label") or label
                entry = Located(text, entry.source, (*entry.loc, "raw" if "raw" in raw else "id"))
                raw = text
            else:
                raise _fail(entry, "expected a prompt string or {raw: ..., label: ...}")
        if not isinstance(raw, str):
            raise _fail(entry, f"got {raw!r}, expected a prompt string")
        out += _prompt_from_string(entry, raw, label, base)
    return out


def _prompt_from_string(entry: Located, raw: str, label: str | None, base: Path) -> list[Prompt]:
    if not raw.startswith("file://"):
        chat = _chat(raw)
        if chat is None and _is_chat_template(raw):
            return [Prompt(label or raw[:40], None, None, raw)]
        return [Prompt(label or raw[:40], None if chat else raw, chat)]
    prompts: list[Prompt] = []
    for path in expand_paths(raw, base, entry.where):
        if path.suffix in (".py", ".js", ".ts", ".mjs", ".cjs") or ":" in raw.removeprefix(
            "file://"
        ):
            raise _fail(
                entry, f"prompt functions ({path.name}) are not supported; use text or chat JSON"
            )
        text = read_text(path, "prompt")  # bounded; binary and non-UTF-8 refused by line
        name = label or path.name
        if path.suffix in (".json", ".yaml", ".yml"):
            data = (
                text if path.suffix == ".json" else json.dumps(load_yaml_text(text, str(path))[0])
            )
            chat = _chat(data)
            if chat is None and path.suffix == ".json" and _is_chat_template(text):
                prompts.append(Prompt(name, None, None, text))
                continue
            if chat is None:
                raise _fail(entry, f"{path}: expected a list of chat messages {{role, content}}")
            prompts.append(Prompt(name, None, chat))
        elif path.suffix == ".jsonl":
            for n, line in enumerate(x for x in text.splitlines() if x.strip()):
                chat = _chat(line)
                if chat is None:
                    raise ConfigError(f"{path}:{n + 1}: expected a JSON list of chat messages")
                prompts.append(Prompt(f"{name}:{n + 1}", None, chat))
        else:
            parts = [p.strip() for p in re.split(r"\n-{3,}\n", text) if p.strip()]
            prompts += [
                Prompt(name if len(parts) == 1 else f"{name}:{i + 1}", p)
                for i, p in enumerate(parts)
            ]
    return prompts


def _is_chat_template(text: str) -> bool:
    return text.lstrip().startswith("[") and ("{%" in text or "{{" in text)


def chat_messages(text: str) -> tuple[tuple[str, str], ...] | None:
    """``text`` (a rendered prompt) as chat messages when it is a JSON chat list."""
    return _chat(text)


def _chat(text: str) -> tuple[tuple[str, str], ...] | None:
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:  # orjson: no NaN/Infinity, a depth limit instead of a RecursionError
        data = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and "content" in m for m in data
    ):
        return None
    return tuple(
        (m["role"], m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]))
        for m in data
    )
