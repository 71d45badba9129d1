"""Anthropic cache breakpoints: placed on long prefixes, never more than four."""

from __future__ import annotations

import copy

from appliance.compression import breakpoints

LONG_SYSTEM = "Policy clause: refunds need a receipt and a reason. " * 120
SHORT = "Be brief."
TOOL = {
    "name": "lookup",
    "description": "Look up an order by its id. " * 150,
    "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}},
}
MARK = {"type": "ephemeral"}


def _chat(system=LONG_SYSTEM, turns=3, model="claude-sonnet-4-5", tools=None):
    messages = []
    for turn in range(turns):
        messages.append({"role": "user", "content": f"Question {turn}?"})
        messages.append({"role": "assistant", "content": f"Answer {turn}."})
    messages.append({"role": "user", "content": "Last question?"})
    body = {"model": model, "max_tokens": 100, "system": system, "messages": messages}
    if tools is not None:
        body["tools"] = tools
    return body


def _apply(body, counter, options):
    return breakpoints.apply(body, "anthropic", counter, body["model"], options)


def test_long_system_and_conversation_get_breakpoints(counter, options):
    result = _apply(_chat(), counter, options)
    assert result.body["system"] == [
        {"type": "text", "text": LONG_SYSTEM, "cache_control": MARK}
    ]
    assert result.body["messages"][-1]["content"] == [
        {"type": "text", "text": "Last question?", "cache_control": MARK}
    ]
    assert result.body["messages"][:-1] == _chat()["messages"][:-1]
    assert result.detail == {
        "breakpoints_added": ["system", "conversation"],
        "breakpoints_total": 2,
    }
    assert result.tokens_before == result.tokens_after == 1369


def test_prefix_below_the_minimum_gets_none(counter, options):
    body = _chat(system=SHORT)
    result = _apply(body, counter, options)
    assert not result.changed
    assert result.body is body


def test_haiku_needs_a_longer_prefix_than_sonnet(counter, options):
    sonnet = _apply(_chat(turns=0), counter, options)
    haiku = _apply(_chat(turns=0, model="claude-3-5-haiku-latest"), counter, options)
    assert sonnet.detail["breakpoints_added"] == ["system"]
    assert breakpoints.minimum_tokens("claude-3-5-haiku-latest") == 2048
    assert breakpoints.minimum_tokens("claude-sonnet-4-5") == 1024
    assert not haiku.changed


def test_callers_breakpoints_count_and_are_never_moved(counter, options):
    body = _chat(tools=[TOOL])
    body["messages"][0]["content"] = [
        {"type": "text", "text": "Question 0?", "cache_control": MARK}
    ]
    body["messages"][2]["content"] = [
        {"type": "text", "text": "Question 1?", "cache_control": MARK}
    ]
    body["messages"][4]["content"] = [
        {"type": "text", "text": "Question 2?", "cache_control": MARK}
    ]
    result = _apply(body, counter, options)
    assert len(breakpoints.caller_breakpoints(result.body)) == 4
    assert result.detail["breakpoints_added"] == ["system"]
    for index in (0, 2, 4):
        assert result.body["messages"][index] == body["messages"][index]


def test_never_more_than_four_in_total(counter, options):
    for existing in range(6):
        body = _chat(tools=[TOOL], turns=6)
        for index in range(existing):
            text = body["messages"][index]["content"]
            body["messages"][index]["content"] = [
                {"type": "text", "text": text, "cache_control": MARK}
            ]
        result = _apply(body, counter, options)
        total = len(breakpoints.caller_breakpoints(result.body))
        assert total == max(existing, min(4, existing + 3))
        assert total <= 4 or not result.changed


def test_tools_get_their_own_breakpoint_when_long_enough(counter, options):
    result = _apply(_chat(system=SHORT, tools=[TOOL]), counter, options)
    assert result.body["tools"][-1]["cache_control"] == MARK
    assert result.body["system"] == [
        {"type": "text", "text": SHORT, "cache_control": MARK}
    ]
    assert result.detail["breakpoints_added"] == ["system", "conversation", "tools"]


def test_longer_ttl_of_the_caller_is_left_to_the_caller(counter, options):
    body = _chat()
    body["system"] = [
        {
            "type": "text",
            "text": LONG_SYSTEM,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    assert not _apply(body, counter, options).changed


def test_openai_requests_are_untouched(counter, options):
    body = {"model": "gpt-4o", "messages": [{"role": "system", "content": LONG_SYSTEM}]}
    result = breakpoints.apply(body, "openai", counter, "gpt-4o", options)
    assert not result.changed
    assert result.body is body


def test_input_body_is_never_mutated(counter, options):
    body = _chat(tools=[TOOL])
    snapshot = copy.deepcopy(body)
    _apply(body, counter, options)
    assert body == snapshot
