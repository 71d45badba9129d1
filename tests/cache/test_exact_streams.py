"""Streams and the exact cache: a streamed miss serves a plain request and the
other way round, parsed by the real SDKs, with nothing lost."""

from __future__ import annotations

import contextlib
import json

import anthropic
import httpx
import openai

from tests.cache.conftest import QUESTION, anthropic_client, openai_client, wait_for

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
            },
        },
    }
]
CALLS = [
    ("call_paris", "weather", {"city": "Paris"}),
    ("call_rome", "weather", {"city": "Rome"}),
]


def streamed(app, key: str, **extra):  # type: ignore[no-untyped-def]
    """A streamed completion as the SDK assembles it, and the response headers."""
    with (
        openai_client(app, key) as client,
        client.chat.completions.stream(
            model="gpt-4o", messages=QUESTION, **extra
        ) as stream,
    ):
        final = stream.get_final_completion()
        headers = stream._response.headers  # the helper keeps no public handle
    return final, headers


def plain(app, key: str, **extra):  # type: ignore[no-untyped-def]
    with openai_client(app, key) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=QUESTION, **extra
        )
    return raw.parse(), raw.headers


def test_streamed_parallel_tool_calls_serve_a_plain_request(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.tool_calls = list(CALLS)
    first, first_headers = streamed(app, key, tools=TOOLS)
    wait_for(lambda: len(app.runtime.caches.store) == 1)
    second, headers = plain(app, key, tools=TOOLS)
    assert (first_headers["x-cache-hit"], headers["x-cache-hit"]) == ("false", "true")
    assert headers["x-tokens-saved"] == "1500"
    assert headers["x-cost-saved-usd"] == "0.006"
    choice = second.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = [
        (c.id, c.function.name, json.loads(c.function.arguments))
        for c in choice.message.tool_calls
    ]
    assert calls == CALLS
    assert second.usage.prompt_tokens == 1200 and second.usage.completion_tokens == 300
    assert (
        first.choices[0].message.tool_calls[1].function.arguments == '{"city": "Rome"}'
    )
    assert len(app.upstream.seen) == 1


def test_plain_tool_calls_are_replayed_as_a_stream_the_sdk_parses(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.tool_calls = list(CALLS)
    first, _ = plain(app, key, tools=TOOLS)
    second, headers = streamed(app, key, tools=TOOLS)
    assert headers["x-cache-hit"] == "true"
    assert headers["content-type"].startswith("text/event-stream")
    choice = second.choices[0]
    assert choice.finish_reason == "tool_calls"

    def calls(message):  # type: ignore[no-untyped-def]
        return [
            (c.id, c.function.name, c.function.arguments) for c in message.tool_calls
        ]

    assert calls(choice.message) == calls(first.choices[0].message)
    assert [json.loads(args) for _, _, args in calls(choice.message)] == [
        arguments for _, _, arguments in CALLS
    ]
    assert len(app.upstream.seen) == 1


def test_refusal_survives_both_directions(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.refusal = "I can't help with that."
    streamed(app, key)
    wait_for(lambda: len(app.runtime.caches.store) == 1)
    hit, headers = plain(app, key)
    assert headers["x-cache-hit"] == "true"
    assert hit.choices[0].message.refusal == "I can't help with that."
    assert hit.choices[0].message.content is None
    assert hit.choices[0].finish_reason == "stop"
    replayed, _ = streamed(app, key)
    assert replayed.choices[0].message.refusal == "I can't help with that."
    assert len(app.upstream.seen) == 1


def test_replayed_stream_has_usage_chunk_only_when_asked(quiet_appliance, request):
    app = quiet_appliance
    _, key = app.workspace()
    plain(app, key)
    client = openai_client(app, key)
    request.addfinalizer(client.close)
    without = list(
        client.chat.completions.create(model="gpt-4o", messages=QUESTION, stream=True)
    )
    with_usage = list(
        client.chat.completions.create(
            model="gpt-4o",
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in without if c.choices)
    assert text == "Paris is the capital of France."
    assert all(c.usage is None for c in without)
    assert with_usage[-1].choices == []
    assert with_usage[-1].usage.total_tokens == 1500
    assert len(app.upstream.seen) == 1


def test_streamed_hit_is_recorded_as_exact_with_savings(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    plain(app, key)
    _, headers = streamed(app, key)
    assert headers["x-tokens-saved"] == "1500"
    app.flush()
    _, hit = app.records()
    assert hit.cache == "exact"
    assert hit.streamed is True and hit.aborted is False
    assert str(hit.cost_saved_usd) == "0.006"
    assert hit.cost_usd == 0


def test_stream_cut_by_the_upstream_is_not_stored(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(cut_after=4)
    # The SDK may or may not notice the cut; the cache must.
    with (
        openai_client(app, key) as client,
        contextlib.suppress(openai.APIError, httpx.HTTPError),
    ):
        list(
            client.chat.completions.create(
                model="gpt-4o", messages=QUESTION, stream=True
            )
        )
    app.flush()
    assert app.records()[0].aborted is True
    assert len(app.runtime.caches.store) == 0
    _, headers = plain(app, key)
    assert headers["x-cache-hit"] == "false"
    assert len(app.upstream.seen) == 2


def test_stream_the_caller_abandons_is_not_stored(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(chunk_delay=0.2)
    body = {"model": "gpt-4o", "messages": QUESTION, "stream": True}
    with httpx.stream(
        "POST",
        app.url + "/v1/chat/completions",
        json=body,
        headers={"x-proxy-key": key, "authorization": "Bearer sk"},
    ) as response:
        next(response.iter_raw())
    wait_for(lambda: app.upstream.disconnected == 1)
    app.flush()
    assert len(app.runtime.caches.store) == 0
    _, headers = plain(app, key)
    assert headers["x-cache-hit"] == "false"


THINKING = ("The user asks about weather in two cities.", "RXVyb3BlIHNpZ25hdHVyZQ==")


def anthropic_ask(app, key: str, stream: bool):  # type: ignore[no-untyped-def]
    with anthropic_client(app, key) as client:
        return anthropic_call(client, stream)


def anthropic_call(client: anthropic.Anthropic, stream: bool):  # type: ignore[no-untyped-def]
    request = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "Weather in Paris and Rome?"}],
    }
    if not stream:
        raw = client.messages.with_raw_response.create(**request)
        return raw.parse(), raw.headers
    with client.messages.stream(**request) as events:
        final = events.get_final_message()
        headers = events.response.headers
    return final, headers


def test_anthropic_streamed_thinking_and_tools_serve_a_plain_request(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.thinking = THINKING
    app.upstream.tool_calls = [
        ("toolu_1", "weather", {"city": "Paris"}),
        ("toolu_2", "weather", {"city": "Rome"}),
    ]
    first, _ = anthropic_ask(app, key, stream=True)
    wait_for(lambda: len(app.runtime.caches.store) == 1)
    second, headers = anthropic_ask(app, key, stream=False)
    assert headers["x-cache-hit"] == "true"
    assert headers["x-tokens-saved"] == "1500"
    # claude-sonnet-4-5: 1200 input tokens at $3/MTok + 300 output at $15/MTok.
    assert headers["x-cost-saved-usd"] == "0.0081"
    assert second.model_dump() == first.model_dump()
    thinking, text, paris, rome = second.content
    assert (thinking.thinking, thinking.signature) == THINKING
    assert text.text == "Paris is the capital of France."
    assert [(b.id, b.input) for b in (paris, rome)] == [
        ("toolu_1", {"city": "Paris"}),
        ("toolu_2", {"city": "Rome"}),
    ]
    assert second.stop_reason == "tool_use"
    assert second.usage.input_tokens == 1200 and second.usage.output_tokens == 300
    assert len(app.upstream.seen) == 1


def test_anthropic_plain_answer_is_replayed_as_a_stream(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.thinking = THINKING
    app.upstream.tool_calls = [("toolu_1", "weather", {"city": "Paris"})]
    first, _ = anthropic_ask(app, key, stream=False)
    second, headers = anthropic_ask(app, key, stream=True)
    assert headers["x-cache-hit"] == "true"
    assert second.model_dump() == first.model_dump()
    assert second.stop_reason == "tool_use"
    assert len(app.upstream.seen) == 1
