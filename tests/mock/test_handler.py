"""The shared request handler, driven with explicit times: what it plans for each request."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from llmops.mock.handler import MockApp, Plan
from llmops.mock.profile import MockProfile

CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"


def app(profile: dict[str, Any] | str = "instant", seed: int = 0) -> MockApp:
    mock = MockApp(
        profile if isinstance(profile, str) else MockProfile.model_validate(profile), seed=seed
    )
    mock.start(0.0)
    return mock


def ask(
    mock: MockApp, text: str = "hello", *, path: str = CHAT, now: float = 0.0, **extra: Any
) -> Plan:
    body = {
        "model": "m",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }
    return mock.handle("POST", path, {}, orjson.dumps(body), now)


def events(plan: Plan) -> list[str]:
    assert plan.chunks is not None
    text = b"".join(c for _, c in plan.chunks).decode()
    return [line for line in text.split("\n") if line.startswith(("data: ", "event: "))]


def test_openai_answer_has_the_chat_completion_shape() -> None:
    body = json.loads(ask(app("default"), "I want a refund").body)
    assert (body["object"], body["choices"][0]["message"]["content"], body["model"]) == (
        "chat.completion",
        "billing",
        "mock-1-2026-01",
    )


def test_anthropic_answer_has_the_message_shape() -> None:
    body = json.loads(ask(app("default"), "I want a refund", path=MESSAGES).body)
    assert (body["type"], body["content"], body["stop_reason"]) == (
        "message",
        [{"type": "text", "text": "billing"}],
        "end_turn",
    )


def test_plain_answer_waits_for_the_whole_service_time() -> None:
    mock = app(
        {
            "latency": {"ttft_s": 0.5, "time_per_token_s": 0.1},
            "output_tokens": {"mean": 10, "sigma": 0},
        }
    )
    assert ask(mock).head_delay == pytest.approx(0.5 + 10 * 0.1)


def test_invalid_json_is_a_400_in_the_api_shape() -> None:
    plan = app().handle("POST", MESSAGES, {}, b"{not json", 0.0)
    assert (plan.status, json.loads(plan.body)["error"]["type"]) == (400, "invalid_request_error")


def test_unknown_path_is_404() -> None:
    assert app().handle("GET", "/v2/nothing", {}, b"", 0.0).status == 404


def test_models_lists_both_versions() -> None:
    plan = app("drift").handle("GET", "/v1/models", {}, b"", 0.0)
    assert [m["id"] for m in json.loads(plan.body)["data"]] == ["mock-1-2026-01", "mock-1-2026-03"]


def test_full_queue_is_503_for_openai() -> None:
    mock = app({"capacity": {"slots": 1, "queue": 0}, "latency": {"ttft_s": 1}})
    ask(mock)
    plan = ask(mock)
    assert (plan.status, json.loads(plan.body)["error"]["type"]) == (503, "server_error")


def test_full_queue_is_529_overloaded_for_anthropic() -> None:
    mock = app({"capacity": {"slots": 1, "queue": 0}, "latency": {"ttft_s": 1}})
    ask(mock, path=MESSAGES)
    plan = ask(mock, path=MESSAGES)
    assert (plan.status, json.loads(plan.body)["error"]["type"]) == (529, "overloaded_error")


def test_queued_request_waits_for_a_slot() -> None:
    mock = app({"capacity": {"slots": 1, "queue": 1}, "latency": {"ttft_s": 1}})
    ask(mock)
    assert ask(mock, now=0.25).head_delay == pytest.approx(0.75 + 1.0)


def test_rate_limited_request_gets_429_with_consistent_retry_after() -> None:
    mock = app({"rate_limits": {"requests_per_minute": 2}})  # one request per 30 s
    ask(mock)
    ask(mock)
    plan = ask(mock, now=10.0)
    h = plan.headers
    assert (
        plan.status,
        h["retry-after"],
        h["retry-after-ms"],
        h["x-ratelimit-remaining-requests"],
    ) == (
        429,
        "20",
        "20000",
        "0",
    )


def test_openai_rate_limit_headers_on_success() -> None:
    h = ask(app({"rate_limits": {"requests_per_minute": 60, "tokens_per_minute": 1000}})).headers
    assert (
        h["x-ratelimit-limit-requests"],
        h["x-ratelimit-remaining-requests"],
        h["x-ratelimit-reset-requests"],
    ) == (
        "60",
        "59",
        "1s",
    )


def test_token_bucket_counts_input_and_output_tokens() -> None:
    mock = app(
        {"rate_limits": {"tokens_per_minute": 1000}, "output_tokens": {"mean": 50, "sigma": 0}}
    )
    h = ask(mock, "abcd").headers  # 1 token of text + 3 per message, 50 out
    assert h["x-ratelimit-remaining-tokens"] == str(1000 - 54)


def test_anthropic_rate_limit_headers_are_rfc3339() -> None:
    mock = app({"rate_limits": {"requests_per_minute": 60}})
    mock.wall_offset = 1_767_225_600.0  # 2026-01-01T00:00:00Z at now=0
    h = ask(mock, path=MESSAGES).headers
    assert (
        h["anthropic-ratelimit-requests-remaining"],
        h["anthropic-ratelimit-requests-reset"],
    ) == (
        "59",
        "2026-01-01T00:00:01Z",
    )


def test_quota_error_is_insufficient_quota_for_openai() -> None:
    plan = ask(app({"faults": {"error_rates": {"quota": 1.0}}}))
    assert (plan.status, json.loads(plan.body)["error"]["code"]) == (429, "insufficient_quota")


def test_openai_stream_ends_with_usage_and_done() -> None:
    lines = events(ask(app(), stream=True, stream_options={"include_usage": True}))
    usage = json.loads(lines[-2][6:])
    assert (lines[-1], usage["choices"], usage["usage"]["completion_tokens"]) == (
        "data: [DONE]",
        [],
        50,
    )


def test_openai_stream_without_include_usage_has_no_usage_chunk() -> None:
    lines = events(ask(app(), stream=True))
    assert all("usage" not in line for line in lines) and lines[-1] == "data: [DONE]"


def test_anthropic_stream_sends_the_event_types_in_order() -> None:
    names = [
        line[7:]
        for line in events(ask(app(), path=MESSAGES, stream=True))
        if line.startswith("event: ")
    ]
    order = list(dict.fromkeys(names))
    assert order == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_stream_chunks_arrive_one_token_apart() -> None:
    mock = app(
        {
            "latency": {"ttft_s": 0.5, "time_per_token_s": 0.1},
            "output_tokens": {"mean": 5, "sigma": 0},
        }
    )
    plan = ask(mock, stream=True)
    assert plan.chunks is not None
    assert [round(d, 6) for d, _ in plan.chunks] == [0.5, 0.1, 0.1, 0.1, 0.1, 0.0]


def test_stall_delays_the_chunk_after_the_given_count() -> None:
    mock = app({"faults": {"stall": {"rate": 1.0, "after_chunks": 2, "seconds": 30}}})
    plan = ask(mock, stream=True)
    assert plan.chunks is not None and [d for d, _ in plan.chunks[:4]] == [0.0, 0.0, 30.0, 0.0]


def test_truncated_stream_lacks_its_terminator() -> None:
    plan = ask(app({"faults": {"truncate": {"rate": 1.0, "after_chunks": 4}}}), stream=True)
    lines = events(plan)
    assert (len(lines), "data: [DONE]" in lines, plan.reset) == (1 + 4, False, False)  # role + 4


def test_reset_mid_stream_drops_the_connection_after_the_chunks() -> None:
    plan = ask(app({"faults": {"reset": {"rate": 1.0, "after_chunks": 2}}}), stream=True)
    assert (len(events(plan)), plan.reset) == (1 + 2, True)


def test_reset_on_a_plain_request_has_no_response() -> None:
    plan = ask(app({"faults": {"reset": {"rate": 1.0}}}))
    assert (plan.reset, plan.chunks) == (True, None)


def test_malformed_json_fault_breaks_the_content() -> None:
    body = json.loads(ask(app({"faults": {"malformed_json": 1.0}}), "ping").body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body["choices"][0]["message"]["content"])


def test_slow_first_byte_delays_the_status_line() -> None:
    plan = ask(app({"faults": {"slow_first_byte": {"rate": 1.0, "seconds": 4}}}), stream=True)
    assert plan.head_delay == 4.0


def test_drift_switches_model_and_answer_after_the_request_count() -> None:
    mock = app("drift")
    for i in range(200):
        ask(mock, "ping", now=float(i))
    body = json.loads(ask(mock, "my parcel is late", now=200.0).body)
    assert (body["model"], body["choices"][0]["message"]["content"]) == (
        "mock-1-2026-03",
        "logistics",
    )


def test_time_outage_counts_from_the_start() -> None:
    mock = app({"faults": {"outages": [{"start_s": 10, "end_s": 20}]}})
    assert [ask(mock, now=t).status for t in (5.0, 15.0, 25.0)] == [200, 503, 200]


def stats(mock: MockApp, now: float = 0.0) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(mock.handle("GET", "/_mock/stats", {}, b"", now).body)
    return result


def test_stats_count_by_status_and_model_version() -> None:
    mock = app({"capacity": {"slots": 1, "queue": 0}, "latency": {"ttft_s": 1}})
    ask(mock)
    ask(mock)
    s = stats(mock)
    assert (s["requests"], s["by_status"], s["by_model_version"]) == (
        2,
        {"200": 1, "503": 1},
        {"mock-1-2026-01": 1},
    )


def test_stats_report_busy_slots_and_queue_depth() -> None:
    mock = app({"capacity": {"slots": 1, "queue": 4}, "latency": {"ttft_s": 1}})
    for _ in range(3):
        ask(mock)
    s = stats(mock, now=0.5)
    assert (s["busy_slots"], s["queue_depth"]) == (1, 2)


def post_profile(mock: MockApp, body: bytes, query: str = "", *, loopback: bool = True) -> Plan:
    return mock.handle("POST", "/_mock/profile" + query, {}, body, 1.0, loopback=loopback)


def test_profile_patch_merges_into_the_running_profile() -> None:
    mock = app("default")
    plan = post_profile(mock, b'{"capacity": {"queue": 0}}')
    assert (plan.status, mock.profile.capacity.queue, mock.profile.capacity.slots) == (200, 0, 32)


def test_profile_patch_can_open_and_close_an_outage() -> None:
    mock = app()
    post_profile(mock, b'{"faults": {"outages": [{"start_s": 0}]}}')
    down = ask(mock, now=2.0).status
    post_profile(mock, b'{"faults": {"outages": []}}')
    assert (down, ask(mock, now=3.0).status) == (503, 200)


def test_profile_replace_uses_only_the_body() -> None:
    mock = app("default")
    post_profile(mock, b'{"name": "bare"}', "?replace=true")
    assert mock.profile == MockProfile(name="bare")


def test_profile_by_name_loads_a_shipped_profile() -> None:
    mock = app()
    post_profile(mock, b"", "?name=outage")
    assert mock.profile.name == "outage"


def test_invalid_profile_patch_is_400_and_keeps_the_profile() -> None:
    mock = app("default")
    plan = post_profile(mock, b'{"capacity": {"slots": 0}}')
    problems = json.loads(plan.body)["error"]["problems"]
    assert (plan.status, mock.profile.capacity.slots, problems) == (
        400,
        32,
        ["profile patch: capacity.slots: got 0, expected greater than or equal to 1"],
    )


def test_control_endpoints_refuse_non_loopback_clients() -> None:
    mock = app("default")
    assert post_profile(mock, b'{"capacity": {"queue": 0}}', loopback=False).status == 403
