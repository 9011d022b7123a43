"""The mock profile: a YAML file describing latency, capacity, limits, faults and answers.

Shipped profiles live in ``scenarios/mock/`` (``llmops/_scenarios/mock`` in a wheel, see
:mod:`llmops.scenarios`) and are chosen by name; any other file is chosen by path. Every model forbids unknown keys, so a typo
fails with a one-line :class:`~llmops.errors.ConfigError` naming file, line, key, value and
what was expected.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from llmops.errors import ConfigError
from llmops.scenarios import shipped_file, shipped_names
from llmops.yamlload import load_yaml_model, validate_model

#: error kinds accepted as keys of ``faults.error_rates``: HTTP statuses plus ``quota``
#: (OpenAI 429 ``insufficient_quota``; Anthropic 400 credit balance too low)
ERROR_KEYS = (
    "400",
    "401",
    "403",
    "404",
    "408",
    "409",
    "429",
    "500",
    "502",
    "503",
    "504",
    "529",
    "quota",
)

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
#: at most a week: beyond it a number is a typo, and event loops refuse such timeouts
Seconds = Annotated[float, Field(ge=0.0, le=7 * 86_400.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Latency(_Model):
    """Service time = ttft_s + output tokens x time_per_token_s x (1 + slot_slowdown x (busy-1))."""

    ttft_s: Seconds = 0.0
    time_per_token_s: Seconds = 0.0
    #: relative growth of time per token for each additional busy slot
    slot_slowdown: Annotated[float, Field(ge=0.0)] = 0.0
    #: each request's service time is scaled by a factor drawn uniformly in [1-jitter, 1+jitter]
    jitter: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0


class Capacity(_Model):
    """``slots`` requests are served at once; ``queue`` more wait; beyond that 503/529."""

    slots: Annotated[int, Field(ge=1)] = 1_000_000
    queue: Annotated[int, Field(ge=0)] = 0


class RateLimits(_Model):
    """Per-minute limits, each a continuously refilled bucket; ``None`` means unlimited."""

    requests_per_minute: Annotated[int, Field(ge=1)] | None = None
    tokens_per_minute: Annotated[int, Field(ge=1)] | None = None


class OutputTokens(_Model):
    """Length of generated answers: log-normal around ``mean`` with ``sigma``, clipped."""

    mean: Annotated[float, Field(gt=0)] = 40.0
    sigma: Annotated[float, Field(ge=0.0)] = 0.5
    min: Annotated[int, Field(ge=1)] = 1
    max: Annotated[int, Field(ge=1)] = 512

    @model_validator(mode="after")
    def _ordered(self) -> OutputTokens:
        if self.min > self.max:
            raise ValueError(f"min <= max (got min={self.min}, max={self.max})")
        return self


class Match(_Model):
    """How a canned answer is chosen: exact text, a regex (search), or a substring, on the
    last user message."""

    exact: str | None = None
    regex: str | None = None
    contains: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"a valid regular expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _one(self) -> Match:
        given = [k for k in ("exact", "regex", "contains") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of exact, regex, contains (got {given or 'none'})")
        return self


class Answer(_Model):
    """A canned answer: when ``match`` applies to the last user message, reply ``text``."""

    match: Match
    text: str


class ModelVersion(_Model):
    """The ``model`` the responses report, and an optional switch for drift drills."""

    name: str = "mock-1-2026-01"
    switch_to: str | None = None
    #: switch after this many seconds since the profile was applied ...
    switch_after_s: Seconds | None = None
    #: ... or after this many requests (the request with this 0-based index is the first after)
    switch_after_requests: Annotated[int, Field(ge=0)] | None = None
    #: canned answers used after the switch (checked before ``answers``)
    answers_after: list[Answer] = []
    #: scale the output length after the switch (drift in verbosity)
    length_factor_after: Annotated[float, Field(gt=0)] = 1.0

    @model_validator(mode="after")
    def _switch(self) -> ModelVersion:
        when = (self.switch_after_s is not None) + (self.switch_after_requests is not None)
        if self.switch_to is None and when:
            raise ValueError("switch_to to be set when switch_after_s/switch_after_requests is")
        if self.switch_to is not None and when != 1:
            raise ValueError("exactly one of switch_after_s, switch_after_requests with switch_to")
        return self


class Outage(_Model):
    """A window in which every request fails: by time (seconds since the profile was applied)
    or by request count (0-based indexes, end exclusive). ``status: reset`` drops the connection."""

    start_s: Seconds | None = None
    end_s: Seconds | None = None
    start_request: Annotated[int, Field(ge=0)] | None = None
    end_request: Annotated[int, Field(ge=0)] | None = None
    status: Literal[429, 500, 502, 503, 504, 529, "reset"] = 503

    @model_validator(mode="after")
    def _window(self) -> Outage:
        by_time = self.start_s is not None or self.end_s is not None
        by_count = self.start_request is not None or self.end_request is not None
        if by_time == by_count:
            raise ValueError(
                "a window by time (start_s/end_s) or by count (start_request/end_request)"
            )
        return self


class StreamFault(_Model):
    """A fault hitting a fraction ``rate`` of streamed responses after ``after_chunks`` chunks."""

    rate: Rate = 0.0
    after_chunks: Annotated[int, Field(ge=0)] = 3


class Stall(StreamFault):
    """The stream pauses ``seconds`` mid-way, then continues."""

    seconds: Seconds = 30.0


class SlowFirstByte(_Model):
    """A fraction ``rate`` of responses wait an extra ``seconds`` before the status line."""

    rate: Rate = 0.0
    seconds: Seconds = 5.0


def _str_keys(value: Any) -> Any:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class Faults(_Model):
    """Injected failures. Rates are probabilities per request, drawn from the seeded RNG."""

    error_rates: Annotated[dict[str, Rate], BeforeValidator(_str_keys)] = {}
    outages: list[Outage] = []
    slow_first_byte: SlowFirstByte = SlowFirstByte()
    stall: Stall = Stall()
    #: the stream ends without its terminator (no ``[DONE]`` / ``message_stop``)
    truncate: StreamFault = StreamFault()
    #: the connection is dropped: before the response, or mid-stream after ``after_chunks``
    reset: StreamFault = StreamFault()
    #: the answer text is replaced by JSON that does not parse
    malformed_json: Rate = 0.0
    #: the retry-after sent with injected 429s (error_rates, outages); bucket 429s compute theirs
    retry_after_s: Seconds = 1.0

    @field_validator("error_rates")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in ERROR_KEYS:
                hint = difflib.get_close_matches(key, ERROR_KEYS, n=1)
                raise ValueError(
                    f"keys among {', '.join(ERROR_KEYS)} (got {key!r})"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                )
        if sum(value.values()) > 1.0:
            raise ValueError(f"rates summing to at most 1 (sum {sum(value.values()):g})")
        return value

    @property
    def any(self) -> bool:
        """True when any fault can fire (the hot path skips the fault model otherwise)."""
        return bool(
            any(self.error_rates.values())
            or self.outages
            or self.slow_first_byte.rate
            or self.stall.rate
            or self.truncate.rate
            or self.reset.rate
            or self.malformed_json
        )


class MockProfile(_Model):
    """A complete mock profile. Every section has defaults, so ``{}`` is a valid, instant,
    fault-free profile."""

    name: str = "custom"
    description: str = ""
    latency: Latency = Latency()
    capacity: Capacity = Capacity()
    rate_limits: RateLimits = RateLimits()
    output_tokens: OutputTokens = OutputTokens()
    model_version: ModelVersion = ModelVersion()
    answers: list[Answer] = []
    faults: Faults = Faults()


def shipped_profiles() -> list[str]:
    """Names of the shipped profiles."""
    return shipped_names("mock")


def resolve_profile_path(profile: str | Path) -> Path:
    """A path as given when it looks like a file; otherwise a shipped profile by name."""
    text = str(profile)
    path = Path(text)
    if (
        isinstance(profile, Path)
        or path.suffix in (".yaml", ".yml")
        or "/" in text
        or path.is_file()
    ):
        return path
    candidate = shipped_file("mock", text)
    if candidate is not None:
        return candidate
    names = shipped_profiles()
    hint = difflib.get_close_matches(text, names, n=1)
    raise ConfigError(
        f"--profile: got {text!r}, expected a profile file or one of: {', '.join(names)}"
        + (f"; did you mean {hint[0]!r}?" if hint else "")
    )


def load_profile(profile: str | Path | MockProfile = "default") -> MockProfile:
    """Load a profile by shipped name or file path (a :class:`MockProfile` passes through).

    Raises :class:`ConfigError` with one line per problem.
    """
    if isinstance(profile, MockProfile):
        return profile
    return load_yaml_model(resolve_profile_path(profile), MockProfile, what="mock profile")


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386): mappings merge key by key, ``null`` deletes, the rest replaces."""
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = value
    return out


def patch_profile(
    current: MockProfile, patch: dict[str, Any], *, replace: bool = False
) -> MockProfile:
    """Apply a live change: ``patch`` merged into ``current`` (or the whole profile if ``replace``).

    Raises :class:`ConfigError` naming the bad key and value.
    """
    data = patch if replace else merge_patch(current.model_dump(mode="json"), patch)
    return validate_model(data, MockProfile, source="profile patch")
