"""User code in assertions and transforms: JavaScript run by Node.js in a subprocess, Python
run in this process, each inline or from ``file://x.js`` / ``file://x.py[:function]``.

As in promptfoo, inline code on one line is an expression (``output.length < 100``); code over
several lines is a function body (with ``return``). It is called with ``output`` and
``context`` (``vars``, ``prompt``, ``test``); a file's function the same way.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import json
import re
import select
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from llmops.engine.clock import run_blocking
from llmops.errors import InputError
from llmops.workflows.evals.promptfoo_format.spec import script_function, script_path

__all__ = [
    "NODE_MISSING",
    "ScriptError",
    "call_javascript_file",
    "node_available",
    "run_javascript",
    "run_python",
]

NODE_MISSING = (
    "runs JavaScript with Node.js, which is not installed (no `node` on PATH): install it, e.g. "
    "`sudo apt-get install -y nodejs` on Debian/Ubuntu, `brew install node` on macOS, or from "
    "https://nodejs.org"
)

#: one Node.js process serves every call of a run: JSON lines in, JSON lines out
_WORKER = r"""
const readline = require('readline');
const { pathToFileURL } = require('url');
const log = (...a) => process.stderr.write(a.map(String).join(' ') + '\n');
console.log = console.info = console.debug = console.warn = log;
// TypeScript files: Node strips types itself from 22.6 on; an older Node is given the source as
// JavaScript (a file without type annotations, as many are, runs; one with them fails by name)
async function load(file) {
  try {
    return await import(pathToFileURL(file).href);
  } catch (e) {
    if (!(e && e.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(file))) throw e;
    const src = require('fs').readFileSync(file, 'utf8');
    try {
      return await import('data:text/javascript;base64,' + Buffer.from(src).toString('base64'));
    } catch (e2) {
      throw new Error(`${file}: TypeScript this Node.js cannot run (${e2.message}); Node.js 22.6 or newer strips types`);
    }
  }
}
async function run(job) {
  let fn;
  if (job.file) {
    const mod = await load(job.file);
    const exported = mod.default !== undefined ? mod.default : mod;
    fn = job.func ? (exported[job.func] || mod[job.func]) : exported;
    if (typeof fn !== 'function') throw new Error(`${job.file} exports no function ${job.func || '(default)'}`);
  } else {
    fn = new Function('output', 'context', job.code);
  }
  return await fn(...(job.args || [job.output, job.context]));
}
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const job = JSON.parse(line);
  let reply;
  try {
    const result = await run(job);
    reply = { id: job.id, ok: true, result: result === undefined ? null : result };
  } catch (e) {
    reply = { id: job.id, ok: false, error: String((e && e.message) || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
"""


class ScriptError(Exception):
    """User code that raised, or could not be run (the message says which and why)."""


def node_available() -> bool:
    """True when ``node`` is on PATH."""
    return shutil.which("node") is not None


def _body(code: str) -> str:
    """A function body, as promptfoo builds it: code over several lines as is; one line as an
    expression (trailing semicolons dropped; ``const x = ...; expr`` keeps its statements)."""
    if "\n" in code:
        return code
    one = re.sub(r";+\s*$", "", code.strip())
    if re.match(r"(const|let|var)\s", one) and ";" in one:
        statements, _, expression = one.rpartition(";")
        return f"{statements}; return ({expression.strip()});" if expression.strip() else one
    return f"return ({one});"


async def run_javascript(
    code: str, output: Any, context: Mapping[str, Any], base: Path, *, clock: object = None
) -> Any:
    """Run inline JavaScript or ``file://x.js[:fn]`` with Node.js; return what it returned.

    The call waits off the event loop (inline on a virtual ``clock``), see
    :func:`llmops.engine.clock.run_blocking`."""
    node = shutil.which("node")
    if node is None:
        raise InputError(f"a javascript assertion or transform {NODE_MISSING}")
    job: dict[str, Any] = {"output": output, "context": dict(context)}
    if code.startswith("file://"):
        job["file"] = str((base / script_path(code)).resolve())
        job["func"] = script_function(code)
    else:
        job["code"] = _body(code)
    worker = _node_worker(node)
    reply = await run_blocking(clock, lambda: worker.call(job))
    if not reply.get("ok"):
        raise ScriptError(f"javascript raised: {reply.get('error')}")
    return reply.get("result")


def call_javascript_file(path: Path, args: list[Any]) -> Any:
    """Call the function ``path`` exports with ``args``, blocking (for load-time use such as
    ``nunjucksFilters``); raises :class:`ScriptError` when it raises."""
    node = shutil.which("node")
    if node is None:
        raise InputError(f"a JavaScript file ({path.name}) {NODE_MISSING}")
    reply = _node_worker(node).call({"file": str(path), "func": None, "args": args})
    if not reply.get("ok"):
        raise ScriptError(f"{path.name} raised: {reply.get('error')}")
    return reply.get("result")


class _NodeWorker:
    """A Node.js process answering one JSON line per job, one job at a time."""

    def __init__(self, node: str) -> None:
        self.proc = subprocess.Popen(
            [node, "-e", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lock = threading.Lock()
        self.ids = itertools.count()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, job: dict[str, Any], timeout_s: float = 30.0) -> dict[str, Any]:
        with self.lock:
            job = {**job, "id": next(self.ids)}
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(json.dumps(job, default=str).encode() + b"\n")
                self.proc.stdin.flush()
            except OSError as exc:
                raise ScriptError(f"node is not running: {exc}") from None
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
            line = self.proc.stdout.readline() if ready else b""
            if not line:
                self.close()
                raise ScriptError(f"node gave no answer within {timeout_s:g} s")
            reply = json.loads(line)
            return reply if isinstance(reply, dict) else {"ok": False, "error": repr(reply)}

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()


_workers: dict[str, _NodeWorker] = {}
_workers_lock = threading.Lock()


def _node_worker(node: str) -> _NodeWorker:
    with _workers_lock:
        worker = _workers.get(node)
        if worker is None or not worker.alive():
            worker = _workers[node] = _NodeWorker(node)
        return worker


@atexit.register
def _stop_workers() -> None:
    for worker in _workers.values():
        worker.close()


def _load_file_function(ref: str, base: Path, default: str) -> Callable[..., Any]:
    path = (base / script_path(ref)).resolve()
    name = script_function(ref) or default
    spec = importlib.util.spec_from_file_location(f"_promptfoo_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ScriptError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ScriptError(f"{path}: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(path.parent))
    func = getattr(module, name, None)
    if not callable(func):
        raise ScriptError(f"{path} has no function {name!r}")
    return func  # type: ignore[no-any-return]


def _inline_function(code: str) -> Callable[..., Any]:
    source = "def _promptfoo_inline(output, context):\n" + textwrap.indent(_body_py(code), "    ")
    namespace: dict[str, Any] = {"json": json}
    try:
        exec(compile(source, "<inline python>", "exec"), namespace)  # the user's own check code
    except SyntaxError as exc:
        raise ScriptError(f"python does not compile: {exc.msg}") from None
    return namespace["_promptfoo_inline"]  # type: ignore[no-any-return]


def _body_py(code: str) -> str:
    code = textwrap.dedent(code).strip()
    return code + "\n" if "\n" in code else f"return ({code})\n"


def run_python(
    code: str, output: Any, context: Mapping[str, Any], base: Path, *, default: str = "get_assert"
) -> Any:
    """Run inline Python or ``file://x.py[:fn]`` (``default`` names the function otherwise)."""
    func = (
        _load_file_function(code, base, default)
        if code.startswith("file://")
        else _inline_function(code)
    )
    try:
        return func(output, dict(context))
    except Exception as exc:
        raise ScriptError(f"python raised {type(exc).__name__}: {exc}") from None
