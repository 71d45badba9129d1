"""The SSE parser and the relay's meters: split reads, comments, pings, bad data."""

from __future__ import annotations

import json

from appliance.providers.anthropic import AnthropicStreamMeter
from appliance.providers.openai import OpenAIStreamMeter, carries_usage
from appliance.providers.sse import SseParser
from appliance.providers.usage import Usage


def feed_all(parser: SseParser, data: bytes, size: int):  # type: ignore[no-untyped-def]
    events = []
    for index in range(0, len(data), size):
        events += parser.feed(data[index : index + size])
    return events


def test_events_split_across_reads_come_out_whole_and_byte_exact():
    data = b'event: a\ndata: {"x": 1}\n\n: comment\n\ndata: two\ndata: lines\n\n'
    for size in (1, 2, 3, 7, len(data)):
        events = feed_all(SseParser(), data, size)
        assert [e.event for e in events] == ["a", None, None]
        assert [e.data for e in events] == ['{"x": 1}', "", "two\nlines"]
        assert b"".join(e.raw for e in events) == data


def test_crlf_separators_are_understood():
    events = SseParser().feed(b"event: ping\r\ndata: {}\r\n\r\ndata: [DONE]\r\n\r\n")
    assert [(e.event, e.data) for e in events] == [("ping", "{}"), (None, "[DONE]")]


def test_crlf_and_lf_events_split_anywhere_come_out_whole():
    data = (
        b'data: {"a": 1}\n\n'
        b"event: ping\r\ndata: {}\r\n\r\n"
        b"data: x\rdata: y\r\r"
        b"data: [DONE]\n\n"
    )
    for size in (1, 2, 3, 5, len(data)):
        events = feed_all(SseParser(), data, size)
        assert [(e.event, e.data) for e in events] == [
            (None, '{"a": 1}'),
            ("ping", "{}"),
            (None, "x\ny"),
            (None, "[DONE]"),
        ]
        assert b"".join(e.raw for e in events) == data


def test_incomplete_event_waits_for_the_rest():
    parser = SseParser()
    assert parser.feed(b'data: {"a"') == []
    assert parser.pending() == b'data: {"a"'
    [event] = parser.feed(b": 1}\n\n")
    assert event.data == '{"a": 1}'


def openai_event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def test_openai_meter_reads_usage_and_drops_only_the_usage_chunk_when_asked():
    meter = OpenAIStreamMeter(strip_usage_chunk=True)
    parser = SseParser()
    content = openai_event({"choices": [{"delta": {"content": "hi"}}], "usage": None})
    usage = openai_event(
        {
            "choices": [],
            "usage": {
                "prompt_tokens": 50,
                "completion_tokens": 7,
                "prompt_tokens_details": {"cached_tokens": 20},
                "completion_tokens_details": {"reasoning_tokens": 3},
            },
        }
    )
    kept = [
        meter.observe(e) for e in parser.feed(content + usage + b"data: [DONE]\n\n")
    ]
    assert kept == [True, False, True]
    assert meter.usage == Usage(
        input_tokens=50, output_tokens=7, cache_read_tokens=20, reasoning_tokens=3
    )
    assert meter.complete


def test_only_chunks_whose_usage_is_not_null_are_read_for_usage():
    assert carries_usage('{"choices": [], "usage": {"prompt_tokens": 5}}')
    assert carries_usage('{"usage" :\n {}}')
    assert not carries_usage('{"choices": [{"delta": {}}], "usage": null}')
    assert not carries_usage('{"usage":null,"choices":[]}')
    assert not carries_usage('{"delta": {"content": "the \\"usage\\": 3 field"}}')
    assert not carries_usage("")


def test_openai_meter_survives_garbage():
    meter = OpenAIStreamMeter(strip_usage_chunk=False)
    assert all(
        meter.observe(e)
        for e in SseParser().feed(b"data: {oops\n\ndata: 5\n\n: ping\n\n")
    )
    assert meter.usage is None
    assert not meter.complete


def test_anthropic_meter_combines_start_and_final_delta():
    meter = AnthropicStreamMeter()
    start = {
        "type": "message_start",
        "message": {
            "usage": {
                "input_tokens": 10,
                "cache_read_input_tokens": 900,
                "cache_creation_input_tokens": 90,
                "output_tokens": 1,
            }
        },
    }
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn"},
        "usage": {"output_tokens": 42},
    }
    data = (
        f"event: message_start\ndata: {json.dumps(start)}\n\n"
        'event: ping\ndata: {"type": "ping"}\n\n'
        f"event: message_delta\ndata: {json.dumps(delta)}\n\n"
        'event: message_stop\ndata: {"type": "message_stop"}\n\n'
    ).encode()
    for event in feed_all(SseParser(), data, 5):
        assert meter.observe(event)
    assert meter.usage == Usage(
        input_tokens=1000,
        output_tokens=42,
        cache_read_tokens=900,
        cache_write_tokens=90,
    )
    assert meter.complete
