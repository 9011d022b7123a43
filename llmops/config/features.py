"""A feature of ``llmops.yaml``: its model, fallback, validation and conversation."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from llmops.config.base import Duration, Strict, expand_model_id
from llmops.config.routes import Priority


class QueueFallback(Strict):
    """Failed calls go to a durable reprocess queue to be retried later.

    The queue is a SQLite file at ``path`` with ``state.backend: memory`` and a Redis stream
    with ``state.backend: redis``. A drain takes an item for ``lease`` (a worker that dies
    loses its lease and the item is taken again), tries it at most ``max_attempts`` times, then
    moves it to the dead letters. With ``auto_drain`` a service's engine drains by itself once
    the breaker is closed, at most ``drain_rate`` items per second, looking every ``check_every``.
    """

    strategy: Literal["queue"]
    path: str = ".llmops/reprocess-queue.sqlite3"
    auto_drain: bool = False
    lease: Duration = 300.0
    max_attempts: int = Field(default=5, ge=1)
    drain_rate: float = Field(default=2.0, gt=0, description="Items per second at most.")
    check_every: Duration = 10.0


class DefaultFallback(Strict):
    """Answer with a fixed value."""

    strategy: Literal["default"]
    value: Any


class CachedFallback(Strict):
    """Answer with the last good answer for the same normalised input, if there is one."""

    strategy: Literal["cached"]
    max_entries: int = Field(default=10_000, ge=1)
    ttl: Duration = Field(default=86_400.0, description="How long an answer may be served.")


class ErrorFallback(Strict):
    """Fail explicitly with this message (never hidden)."""

    strategy: Literal["error"]
    message: str = "the AI feature is unavailable right now"


Fallback = Annotated[
    QueueFallback | DefaultFallback | CachedFallback | ErrorFallback,
    Field(discriminator="strategy"),
]


class ValidationConfig(Strict):
    json_: bool = Field(default=False, alias="json", description="The answer must parse as JSON.")
    max_chars: int | None = Field(default=None, ge=1)
    regex: str | None = None
    json_schema: dict[str, Any] | None = Field(
        default=None, description="The answer must be JSON valid against this JSON Schema."
    )

    model_config = ConfigDict(populate_by_name=True)  # merged with Strict's

    @field_validator("regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"a valid regular expression ({exc})") from None
        return v

    @field_validator("json_schema")
    @classmethod
    def _schema(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            from llmops.json_schema import schema_problem

            if problem := schema_problem(v):
                raise ValueError(f"a valid JSON Schema ({problem})")
        return v

    def problem(self, text: str) -> str | None:
        """Why ``text`` fails validation, or None when it passes."""
        if self.max_chars is not None and len(text) > self.max_chars:
            return f"answer has {len(text)} characters, more than {self.max_chars}"
        if self.json_:
            try:
                json.loads(text)
            except ValueError:
                return "answer is not valid JSON"
        if self.regex is not None and re.search(self.regex, text) is None:
            return f"answer does not match /{self.regex}/"
        if self.json_schema is not None:
            from llmops.json_schema import answer_problem

            return answer_problem(self.json_schema, text)
        return None


class ConversationConfig(Strict):
    """A conversational feature: history kept per conversation id, sent within a token budget.

    Each call sends the most recent turns that fit ``token_budget`` (with the new turn), trimmed
    from the oldest end; at most ``max_turns`` are kept, for ``ttl`` after the last turn.
    ``summarize_with`` names a feature that summarises what was trimmed (at most
    ``summary_tokens``), kept with the conversation and redone when it falls out of date.
    """

    token_budget: int = Field(default=3000, ge=1)
    max_turns: int = Field(default=50, ge=1)
    ttl: Duration = 3600.0
    summarize_with: str | None = None
    summary_tokens: int = Field(default=256, ge=1)


class FeatureConfig(Strict):
    """One AI-dependent path of the product, by name."""

    provider: str | None = None
    model: str | None = None
    max_tokens: int = Field(default=256, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    system_prompt: str | None = None
    fallback: Fallback = Field(default_factory=lambda: ErrorFallback(strategy="error"))
    validation: ValidationConfig | None = None
    conversation: ConversationConfig | None = None
    priority: Priority = Field(
        default="normal", description="Under a saturated limiter, higher priorities go first."
    )
    routes: list[str] = Field(
        default_factory=list,
        description="provider/model routes tried in order before the fallback.",
    )
    tools: list[dict[str, Any]] | None = Field(
        default=None,
        description="Tool definitions sent with every call, in the wire format of the feature's "
        "provider (OpenAI functions or Anthropic tools); checked as the provider would.",
    )
    response_format: dict[str, Any] | None = Field(
        default=None,
        description="Structured output asked of every call, in OpenAI's form ({type: "
        "json_schema, json_schema: {name, schema}}; Anthropic providers get it as "
        "output_config.format); a JSON schema also validates each answer.",
    )

    @model_validator(mode="after")
    def _schema_validates(self) -> FeatureConfig:
        """A ``json_schema`` response format validates answers unless validation is set."""
        fmt = self.response_format
        if self.validation is None and fmt is not None and fmt.get("type") == "json_schema":
            from llmops.providers.tools import response_format_problem

            if response_format_problem(fmt) is None:
                schema = fmt["json_schema"]["schema"]
                object.__setattr__(self, "validation", ValidationConfig(json_schema=schema))
        return self

    @field_validator("model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        return None if v is None else expand_model_id(v)
