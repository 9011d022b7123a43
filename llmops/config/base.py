"""What every section of the configuration shares: strict models, durations, model-id pinning."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from llmops.errors import did_you_mean

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def expand_model_id(value: str) -> str:
    """Expand ``${VAR}`` / ``${VAR:-default}`` in a model id (pinning through the environment)."""

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        found = os.environ.get(name)
        if found:
            return found
        if default is not None:
            return default
        raise ValueError(
            f"a model id, but environment variable {name} is not set and has no default"
        )

    return _ENV_REF.sub(repl, value)


def duration_seconds(value: str | float) -> float:
    """Seconds in a duration such as ``24h`` or ``90s`` (the one grammar, :mod:`llmops.durations`)."""
    from llmops.durations import parse_duration
    from llmops.errors import InputError

    try:
        return parse_duration(str(value))
    except InputError:
        raise ValueError("a duration such as 90s, 30m, 24h, 7d or 1h30m") from None


def unknown_name(
    got: str, known: Sequence[str], expected: str, *, none: str = "none defined"
) -> str:
    """``got 'x', expected <expected>`` and the closest of ``known`` (else all of them, or
    ``none``): the message of a reference to a name the file does not define."""
    hint = did_you_mean(got, known, otherwise=f" ({', '.join(known) or none})")
    return f"got '{got}', expected {expected}{hint}"


#: seconds, written as a number or a duration string (``90``, ``30s``, ``1h``)
Duration = Annotated[float, BeforeValidator(duration_seconds), Field(gt=0)]


class Strict(BaseModel):
    """A section of ``llmops.yaml``: unknown keys are errors, values are frozen and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
