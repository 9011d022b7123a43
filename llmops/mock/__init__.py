"""A fault-injecting LLM API mock: one fault model, served in-process or over loopback HTTP.

- :class:`MockTransport`: the engine's transport seam in-process, on an injected clock;
  :meth:`MockTransport.as_httpx_transport` for ``httpx.AsyncClient``.
- :class:`MockServer`: the aiohttp server on a loopback port in the running asyncio loop.
- :func:`spawn_mock_server`: the server in a subprocess, yielding its base URL.
- :func:`load_profile`: a shipped profile by name (``scenarios/mock/NAME.yaml``) or a file.
"""

from __future__ import annotations

from llmops.mock.handler import MockApp, Plan
from llmops.mock.profile import MockProfile, load_profile, patch_profile, shipped_profiles
from llmops.mock.server import MockServer, serve
from llmops.mock.spawn import spawn_mock_server
from llmops.mock.transport import MockHttpxTransport, MockStreamResponse, MockTransport

__all__ = [
    "MockApp",
    "MockHttpxTransport",
    "MockProfile",
    "MockServer",
    "MockStreamResponse",
    "MockTransport",
    "Plan",
    "load_profile",
    "patch_profile",
    "serve",
    "shipped_profiles",
    "spawn_mock_server",
]
