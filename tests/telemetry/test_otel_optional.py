"""OpenTelemetry is optional: off by default, imported only when asked for, one line to enable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmops import Engine
from tests.engine.conftest import make_config
from tests.telemetry.conftest import Telemetry
from tests.telemetry.test_otel_observer import MSG, scripted

ROOT = Path(__file__).resolve().parents[2]

#: an interpreter where OpenTelemetry is not installed (every import of it fails)
WITHOUT_OTEL = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoOtel(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, NoOtel())
    """
)

CALL = textwrap.dedent(
    """
    import json
    import anyio, httpx
    from llmops import Engine, EventRecorder
    from llmops.engine.transport_httpx import HttpxTransport
    from tests.engine.conftest import make_config, ok_body

    async def main(telemetry):
        async def handler(request):
            return httpx.Response(200, json=ok_body("fine"))

        transport = HttpxTransport(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        recorder = EventRecorder()
        cfg = make_config(telemetry=telemetry)
        try:
            async with Engine(cfg, transport=transport, observers=[recorder]) as engine:
                result = await engine.call([{"role": "user", "content": "hi"}])
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
        return {"text": result.text, "events": [e.kind for e in recorder.events]}
    """
)


def run_without_otel(telemetry: dict[str, bool]) -> dict[str, object]:
    probe = (
        WITHOUT_OTEL
        + CALL
        + textwrap.dedent(
            f"""
        out = anyio.run(main, {telemetry!r})
        out["loaded"] = sorted(
            m for m in sys.modules if m.startswith(("opentelemetry", "llmops.telemetry"))
        )
        print(json.dumps(out))
        """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def test_without_the_extra_calls_work_and_nothing_of_it_is_imported() -> None:
    out = run_without_otel({})
    assert out["text"] == "fine"
    assert out["events"] == ["input_profile", "model_call", "call_finished"]
    assert out["loaded"] == []


def test_asking_for_telemetry_without_the_extra_names_the_extra() -> None:
    out = run_without_otel({"opentelemetry": True})
    assert out["error"] == (
        "ConfigError: telemetry.opentelemetry: true needs the otel extra: "
        "pip install 'llmops-toolkit[otel]'"
    )


@pytest.mark.anyio
async def test_one_config_key_reports_to_the_applications_own_providers(
    global_telemetry: Telemetry,
) -> None:
    global_telemetry.spans.clear()
    cfg = make_config(telemetry={"opentelemetry": True})
    async with Engine(cfg, transport=scripted(500).transport()) as engine:
        result = await engine.call(MSG)
    assert result.attempts == 2
    names = sorted(s.name for s in global_telemetry.finished())
    assert names == ["attempt 1", "attempt 2", "chat mock-1"]
    recorded = json.dumps([dict(s.attributes or {}) for s in global_telemetry.finished()])
    assert "secret-ish" not in recorded  # content stays off unless opted in
