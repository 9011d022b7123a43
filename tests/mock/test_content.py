"""Answers: canned by rule, else deterministic for (prompt, seed); wire-level formatting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops.content import last_user_text
from llmops.mock.content import Composer, malformed
from llmops.mock.profile import MockProfile, load_profile
from llmops.mock.wire import go_duration, rfc3339


def composer(seed: int = 0, name: str = "default") -> Composer:
    return Composer(load_profile(name), seed)


@pytest.mark.parametrize(
    ("ticket", "label"),
    [
        ("I was charged twice, please refund me", "billing"),
        ("I cannot log in since yesterday", "account"),
        ("The app crashes when I open settings", "technical"),
        ("Where is my parcel? No tracking number yet", "shipping"),
    ],
)
def test_default_profile_classifies_support_tickets(ticket: str, label: str) -> None:
    assert composer().reply(ticket, False, 256).text == label


def test_exact_rule_matches_the_whole_message_only() -> None:
    c = composer()
    assert (c.reply("ping", False, 10).text, c.reply("ping me", False, 10).text == "pong") == (
        "pong",
        False,
    )


def test_generated_answer_is_the_same_for_the_same_prompt_and_seed() -> None:
    assert composer(3).reply("tell me a story", False, 500) == composer(3).reply(
        "tell me a story", False, 500
    )


def test_generated_answer_changes_with_the_seed() -> None:
    assert composer(3).reply("tell me a story", False, 500) != composer(4).reply(
        "tell me a story", False, 500
    )


def test_output_length_follows_the_profile_bounds() -> None:
    c = Composer(
        MockProfile.model_validate(
            {"output_tokens": {"mean": 50, "sigma": 0, "min": 50, "max": 50}}
        ),
        0,
    )
    assert {c.reply(f"q{i}", False, 500).output_tokens for i in range(20)} == {50}


def test_max_tokens_cuts_the_answer_with_finish_length() -> None:
    reply = composer().reply("tell me a story", False, 3)
    assert (reply.output_tokens, reply.finish) == (3, "length")


def test_answers_after_the_switch_take_precedence() -> None:
    c = composer(name="drift")
    assert (
        c.reply("my parcel is late", False, 50).text,
        c.reply("my parcel is late", True, 50).text,
    ) == (
        "shipping",
        "logistics",
    )


def test_last_user_text_reads_content_parts() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "sec"}, {"type": "text", "text": "ond"}],
        },
    ]
    assert last_user_text(messages, sep="") == "second"  # the mock reads text parts as one


@pytest.mark.parametrize("text", ["billing", '{"ok": true}'])
def test_malformed_content_does_not_parse(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed(text))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0194, "20ms"), (1.0, "1s"), (1.5, "1.5s"), (360.0, "6m0s"), (3723.0, "1h2m3s")],
)
def test_openai_reset_durations(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_anthropic_reset_is_rfc3339_utc_rounded_up() -> None:
    assert rfc3339(1_767_225_600.2) == "2026-01-01T00:00:01Z"
