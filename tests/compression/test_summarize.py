"""Conversation summarization with a fake cheaper model."""

from __future__ import annotations

import asyncio
import copy
import logging
from decimal import Decimal

import pytest

from appliance.compression.options import CompressionOptions
from appliance.compression.summarize import SUMMARY_HEADER, Summarizer
from appliance.compression.summary_cache import LRUSummaryCache

PRICES = {  # dollars per million input and output tokens
    "gpt-4-turbo": (Decimal(10), Decimal(30)),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "claude-sonnet-4-5": (Decimal(3), Decimal(15)),
    "claude-haiku-4-5": (Decimal(1), Decimal(5)),
}
SUMMARY = "Ann (order INV-2291) was charged 41.50 twice; a refund was promised."
OPTIONS = CompressionOptions(
    summarize=True,
    summarize_threshold_tokens=300,
    summarize_keep_turns=2,
    summarize_stride_turns=2,
    summarize_max_tokens=100,
)


def price(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    per_input, per_output = PRICES[model]
    return (per_input * input_tokens + per_output * output_tokens) / 1_000_000


class FakeUpstream:
    """Answers summary requests in either protocol and remembers them."""

    def __init__(self, fail: Exception | None = None, delay: float = 0.0) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.fail = fail
        self.delay = delay

    async def __call__(self, protocol: str, body: dict) -> dict:
        self.requests.append((protocol, body))
        await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        if protocol == "anthropic":
            return {
                "content": [{"type": "text", "text": SUMMARY}],
                "usage": {"input_tokens": 700, "output_tokens": 40},
            }
        return {
            "choices": [{"message": {"role": "assistant", "content": SUMMARY}}],
            "usage": {"prompt_tokens": 700, "completion_tokens": 40},
        }


def _question(turn: int) -> str:
    return f"Turn {turn}: please check the ledger entries for account {turn}. " * 6


def _openai_chat(turns: int = 8) -> dict:
    messages = [{"role": "system", "content": "You are the Acme billing assistant."}]
    for turn in range(turns):
        messages.append({"role": "user", "content": _question(turn)})
        if turn == 1:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": "ledger", "arguments": '{"account": 1}'},
            }
            messages.append(
                {"role": "assistant", "content": None, "tool_calls": [call]}
            )
            messages.append(
                {"role": "tool", "tool_call_id": "call_1", "content": "2 rows"}
            )
        messages.append({"role": "assistant", "content": f"Checked account {turn}."})
    return {"model": "gpt-4-turbo", "messages": messages}


async def test_older_turns_become_one_summary_after_the_system_prompt(counter):
    upstream = FakeUpstream()
    summarizer = Summarizer(upstream, price)
    body = _openai_chat()
    result = await summarizer.apply(body, "openai", counter, "gpt-4-turbo", OPTIONS)
    messages = result.body["messages"]
    assert messages[0] == body["messages"][0]
    assert messages[1] == {"role": "system", "content": SUMMARY_HEADER + SUMMARY}
    # 8 turns, keep 2, stride 2: turns 0-5 are summarized, 6 and 7 stay verbatim.
    assert messages[2:] == body["messages"][-4:]
    assert messages[2]["content"] == _question(6)
    assert result.detail == {
        "messages_replaced": 14,
        "summary_tokens": 21,
        "summary_model": "gpt-4o-mini",
        "summary_source": "upstream",
        "cost_usd": price("gpt-4o-mini", 700, 40),
    }
    assert (result.tokens_before, result.tokens_after) == (819, 245)
    protocol, request = upstream.requests[0]
    assert protocol == "openai"
    assert request["model"] == "gpt-4o-mini"
    assert request["max_tokens"] == 100
    assert (
        '[called tool ledger with {"account": 1}]' in request["messages"][1]["content"]
    )


async def test_a_tool_call_is_never_parted_from_its_result(counter):
    summarizer = Summarizer(FakeUpstream(), price)
    fired = 0
    for keep in range(1, 8):
        options = CompressionOptions(
            summarize=True,
            summarize_threshold_tokens=300,
            summarize_keep_turns=keep,
            summarize_stride_turns=1,
            summarize_max_tokens=100,
        )
        result = await summarizer.apply(
            _openai_chat(), "openai", counter, "gpt-4-turbo", options
        )
        messages = result.body["messages"]
        calls = {c["id"] for m in messages for c in m.get("tool_calls") or []}
        results = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
        assert calls == results
        if result.changed:
            fired += 1
            assert messages[1]["content"].startswith(SUMMARY_HEADER)
            assert messages[2]["role"] == "user"
    assert fired == 6


async def test_the_summary_is_reused_while_the_replaced_turns_are_the_same(counter):
    upstream = FakeUpstream()
    cache = LRUSummaryCache()
    summarizer = Summarizer(upstream, price, cache)
    first = await summarizer.apply(
        _openai_chat(8), "openai", counter, "gpt-4-turbo", OPTIONS
    )
    again = await summarizer.apply(
        _openai_chat(8), "openai", counter, "gpt-4-turbo", OPTIONS
    )
    next_turn = await summarizer.apply(
        _openai_chat(9), "openai", counter, "gpt-4-turbo", OPTIONS
    )
    assert len(upstream.requests) == 1
    assert len(cache) == 1
    assert again.body == first.body
    assert again.detail["summary_source"] == "cache"
    assert again.detail["cost_usd"] == 0
    assert next_turn.detail["summary_source"] == "cache"
    assert next_turn.body["messages"][1] == first.body["messages"][1]


async def test_no_summary_below_the_threshold(counter):
    upstream = FakeUpstream()
    options = CompressionOptions(summarize=True, summarize_threshold_tokens=5000)
    result = await Summarizer(upstream, price).apply(
        _openai_chat(), "openai", counter, "gpt-4-turbo", options
    )
    assert not result.changed
    assert result.detail == {"reason": "below_threshold"}
    assert upstream.requests == []


async def test_no_summary_when_it_would_not_pay_for_itself(counter):
    upstream = FakeUpstream()
    options = CompressionOptions(
        summarize=True,
        summarize_threshold_tokens=300,
        summarize_keep_turns=2,
        summarize_stride_turns=2,
        summarize_max_tokens=4000,
    )
    result = await Summarizer(upstream, price).apply(
        _openai_chat(), "openai", counter, "gpt-4-turbo", options
    )
    assert result.detail == {"reason": "would_not_pay"}
    assert upstream.requests == []


async def test_no_summary_without_a_cheaper_model(counter):
    upstream = FakeUpstream()
    body = {**_openai_chat(), "model": "gpt-4o-mini"}
    result = await Summarizer(upstream, price).apply(
        body, "openai", counter, "gpt-4o-mini", OPTIONS
    )
    assert result.detail == {"reason": "no_cheaper_model"}
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("upstream", "timeout"),
    [
        (FakeUpstream(fail=RuntimeError("upstream 500")), 5.0),
        (FakeUpstream(delay=1.0), 0.05),
    ],
)
async def test_a_failed_or_slow_summarizer_leaves_the_request_as_it_was(
    counter, caplog, upstream, timeout
):
    body = _openai_chat()
    snapshot = copy.deepcopy(body)
    options = CompressionOptions(**{**OPTIONS.__dict__, "summarize_timeout_s": timeout})
    with caplog.at_level(logging.WARNING):
        result = await Summarizer(upstream, price).apply(
            body, "openai", counter, "gpt-4-turbo", options
        )
    assert not result.changed
    assert result.body is body
    assert body == snapshot
    assert result.detail == {"reason": "summarizer_failed"}
    assert "summarizer call to gpt-4o-mini failed" in caplog.text


def _anthropic_chat(turns: int = 6) -> dict:
    messages = []
    for turn in range(turns):
        messages.append(
            {"role": "user", "content": [{"type": "text", "text": _question(turn)}]}
        )
        if turn == 1:
            use = {
                "type": "tool_use",
                "id": "tu_1",
                "name": "ledger",
                "input": {"account": 1},
            }
            messages.append({"role": "assistant", "content": [use]})
            result = {"type": "tool_result", "tool_use_id": "tu_1", "content": "2 rows"}
            messages.append({"role": "user", "content": [result]})
        messages.append({"role": "assistant", "content": f"Checked account {turn}."})
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 500,
        "system": [{"type": "text", "text": "You are the Acme billing assistant."}],
        "messages": messages,
    }


async def test_anthropic_summary_follows_the_system_prompt(counter):
    upstream = FakeUpstream()
    body = _anthropic_chat(12)
    result = await Summarizer(upstream, price).apply(
        body, "anthropic", counter, "claude-sonnet-4-5", OPTIONS
    )
    assert result.body["system"] == [
        *body["system"],
        {"type": "text", "text": SUMMARY_HEADER + SUMMARY},
    ]
    assert result.body["messages"] == body["messages"][-4:]
    assert result.body["messages"][0]["role"] == "user"
    assert result.detail["cost_usd"] == price("claude-haiku-4-5", 700, 40)
    request = upstream.requests[0][1]
    assert request["model"] == "claude-haiku-4-5"
    assert request["system"].startswith("You compress the start of a conversation")


async def test_anthropic_turns_with_caller_breakpoints_are_not_summarized(counter):
    body = _anthropic_chat()
    body["messages"][0]["content"][0]["cache_control"] = {"type": "ephemeral"}
    result = await Summarizer(FakeUpstream(), price).apply(
        body, "anthropic", counter, "claude-sonnet-4-5", OPTIONS
    )
    assert result.detail == {"reason": "caller_cache_breakpoints"}
