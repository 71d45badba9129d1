"""Stream replay and assembly: nothing in an answer is lost either way."""

from __future__ import annotations

import json

from appliance.cache import replay
from appliance.providers.sse import SseParser
from appliance.providers.usage import Usage
from tests.fakes.upstream import FakeUpstream

OPENAI_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o",
    "system_fingerprint": "fp_1",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "reasoning_content": "Two cities are asked for.",
                "annotations": [],
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {
                            "name": "weather",
                            "arguments": '{"city":"Paris"}',
                        },
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city":"Rome"}'},
                    },
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": None, "refusal": "I can't."},
            "logprobs": None,
            "finish_reason": "stop",
        },
        {
            "index": 2,
            "message": {"role": "assistant", "content": "Paris.", "refusal": None},
            "logprobs": {
                "content": [{"token": "Paris", "logprob": -0.1}],
                "refusal": None,
            },
            "finish_reason": "length",
        },
    ],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 20},
    },
}

ANTHROPIC_BODY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [
        {
            "type": "thinking",
            "thinking": "Weather in two cities.",
            "signature": "sig==",
        },
        {"type": "redacted_thinking", "data": "opaque"},
        {
            "type": "text",
            "text": "Checking.",
            "citations": [
                {"type": "char_location", "cited_text": "x", "document_index": 0}
            ],
        },
        {
            "type": "tool_use",
            "id": "toolu_a",
            "name": "weather",
            "input": {"city": "Paris"},
        },
        {"type": "tool_use", "id": "toolu_b", "name": "weather", "input": {}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 1000,
        "cache_creation_input_tokens": 50,
        "cache_read_input_tokens": 150,
        "output_tokens": 300,
    },
}


def roundtrip(protocol: str, body: dict, include_usage: bool = True) -> dict:
    events = replay.stream_events(protocol, json.dumps(body).encode(), include_usage)
    assembled = replay.assemble(protocol, events, None)
    assert assembled is not None
    return json.loads(assembled)


def test_openai_answer_survives_replay_and_assembly():
    assert roundtrip("openai", OPENAI_BODY) == OPENAI_BODY


def test_openai_replay_sends_usage_chunk_only_when_asked():
    raw = json.dumps(OPENAI_BODY).encode()
    with_usage = replay.stream_events("openai", raw, include_usage=True)
    without = replay.stream_events("openai", raw, include_usage=False)
    last_with = json.loads(with_usage[-2].removeprefix(b"data: "))
    assert last_with["choices"] == [] and last_with["usage"]["total_tokens"] == 1500
    assert all(b'"usage"' not in event for event in without)
    assert without[-1] == with_usage[-1] == b"data: [DONE]\n\n"


def test_openai_usage_comes_from_the_meter_when_the_chunk_was_dropped():
    raw = json.dumps(OPENAI_BODY).encode()
    events = replay.stream_events("openai", raw, include_usage=False)
    usage = Usage(
        input_tokens=1200, output_tokens=300, cache_read_tokens=100, reasoning_tokens=20
    )
    assembled = json.loads(replay.assemble("openai", events, usage))
    assert assembled["usage"] == OPENAI_BODY["usage"] | {
        "prompt_tokens_details": {"cached_tokens": 100},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }


def test_anthropic_answer_survives_replay_and_assembly():
    assert roundtrip("anthropic", ANTHROPIC_BODY) == ANTHROPIC_BODY


def test_anthropic_replay_has_the_protocols_event_sequence():
    events = replay.stream_events(
        "anthropic", json.dumps(ANTHROPIC_BODY).encode(), False
    )
    names = [event.event for event in SseParser().feed(b"".join(events))]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 5
    deltas = [
        json.loads(e.data)["delta"]["type"]
        for e in SseParser().feed(b"".join(events))
        if e.event == "content_block_delta"
    ]
    assert deltas == [
        "thinking_delta",
        "signature_delta",
        "text_delta",
        "citations_delta",
        "input_json_delta",
        "input_json_delta",
    ]


def test_fake_upstream_streams_assemble_to_its_complete_bodies():
    fake = FakeUpstream()
    fake.tool_calls = [
        ("call_1", "weather", {"city": "Paris"}),
        ("call_2", "time", {"tz": "CET"}),
    ]
    fake.thinking = ("Let me think.", "c2lnbmF0dXJl")
    body = {"model": "m", "stream_options": {"include_usage": True}}
    for protocol, events, complete in [
        ("openai", fake.openai_events(body), fake.openai_completion(body)),
        ("anthropic", fake.anthropic_events(body), fake.anthropic_message(body)),
    ]:
        assembled = json.loads(replay.assemble(protocol, events, None))
        # The fake's chunks carry no system_fingerprint and their own timestamp.
        complete.pop("system_fingerprint", None)
        complete.pop("created", None)
        assembled.pop("created", None)
        assert assembled == complete


def test_unfinished_or_failed_streams_do_not_assemble():
    fake = FakeUpstream()
    openai_events = fake.openai_events({"model": "m"})
    anthropic_events = fake.anthropic_events({"model": "m"})
    error = (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}\n\n'
    )
    assert replay.assemble("openai", openai_events[:-1], None) is None
    assert replay.assemble("openai", openai_events[:3], None) is None
    assert replay.assemble("anthropic", anthropic_events[:-1], None) is None
    assert replay.assemble("anthropic", [*anthropic_events[:4], error], None) is None
