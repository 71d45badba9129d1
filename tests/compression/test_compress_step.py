"""The compress pipeline step: flags, savings per step, and the off switch."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from appliance.compression.options import CompressionOptions
from appliance.pipeline import compress
from appliance.pipeline.compress import CompressStep
from appliance.pipeline.context import Exchange, Reply
from appliance.providers.anthropic import AnthropicFormat
from appliance.providers.openai import OpenAIFormat
from appliance.store.views import WorkspaceView
from tests.compression.test_summarize import FakeUpstream, _openai_chat, price

DOC = (
    "Refunds are issued within 14 days of the request. Customers on the Growth "
    "plan receive a prorated credit for the unused part of the billing period, "
    "and the credit is applied to the next invoice automatically by the system."
)
TOOL = {
    "type": "function",
    "function": {
        "name": "refund",
        "parameters": {
            "type": "object",
            "title": "Refund",
            "properties": {"order_id": {"type": "string", "title": "Order Id"}},
        },
    },
}


def _openai_body() -> dict:
    return {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": "Answer from the policy."},
            {
                "role": "user",
                "content": f"Hi there!\n{DOC}\n\n{DOC}\n\nCan I get a refund?",
            },
        ],
        "tools": [TOOL],
    }


def _exchange(
    body: dict, path: str = "/v1/chat/completions", **controls: str
) -> Exchange:
    fmt = AnthropicFormat() if path == "/v1/messages" else OpenAIFormat()
    raw = json.dumps(body).encode()
    return Exchange(
        "req-1", fmt, "POST", path, "", {}, raw, body=body, controls=controls
    )


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict | None] = []

    async def __call__(self, ex: Exchange) -> Reply:
        self.bodies.append(ex.body)
        return Reply(status=200, body=b"{}")


def _step(counter, options=None, upstream=None, options_for=None) -> CompressStep:
    return CompressStep(
        counter,
        price,
        options or CompressionOptions(),
        summarize_call_for=None if upstream is None else (lambda _ex: upstream),
        options_for=options_for,
    )


async def test_steps_fire_and_each_saving_is_recorded(counter):
    body = _openai_body()
    ex = _exchange(body)
    following = Recorder()
    reply = await _step(counter)(ex, following)
    assert reply.status == 200
    assert following.bodies == [ex.body]
    assert ex.body is not body
    assert ex.body_changed
    savings = ex.savings
    assert savings.compressed
    assert savings.preamble_stripped and savings.repetition_removed
    assert savings.tools_compressed
    assert not savings.conversation_summarized and not savings.image_optimized
    assert {name: s.tokens for name, s in savings.steps.items()} == {
        "preamble": 3,
        "repetition": 33,
        "tools": 10,
    }
    assert savings.steps["repetition"].usd == price("gpt-4-turbo", 33, 0)
    assert savings.steps["repetition"].detail == {"passages_removed": 1}
    sent = counter.count_request("openai", ex.body)
    assert counter.count_request("openai", body) - sent == savings.tokens_saved == 46


async def test_compress_off_sends_the_request_untouched(counter):
    body = _openai_body()
    ex = _exchange(body, compress="off")
    await _step(counter)(ex, Recorder())
    assert ex.body is body
    assert not ex.body_changed
    assert ex.savings.steps == {}


async def test_requests_other_than_chat_are_untouched(counter):
    body = {"model": "text-embedding-3-small", "input": "Hi there!\n\n\n\nHello"}
    ex = _exchange(body, path="/v1/embeddings")
    await _step(counter)(ex, Recorder())
    assert ex.body is body
    assert not ex.savings.compressed


async def test_workspace_options_switch_steps_off(counter):
    only_tools = CompressionOptions(preamble=False, repetition=False)
    ex = _exchange(_openai_body())
    await _step(counter, options_for=lambda _ex: only_tools)(ex, Recorder())
    assert sorted(ex.savings.steps) == ["tools"]
    assert not ex.savings.preamble_stripped


async def test_workspace_stored_overrides_switch_steps_off(counter):
    workspace = WorkspaceView(
        id="w1",
        name="acme",
        plan="starter",
        quota=100,
        burst_rate=None,
        burst_capacity=None,
        active=True,
        settings={"compression": {"preamble": False, "tools": False}},
    )
    ex = _exchange(_openai_body())
    ex.workspace = workspace
    await _step(counter)(ex, Recorder())
    assert sorted(ex.savings.steps) == ["repetition"]


async def test_breakpoints_change_the_body_but_are_not_a_compression(counter):
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "system": (
            "Policy clause: refunds need a receipt and a reason. " * 120
        ).strip(),
        "messages": [{"role": "user", "content": "May I return it?"}],
    }
    ex = _exchange(body, path="/v1/messages")
    await _step(counter)(ex, Recorder())
    assert ex.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert ex.body_changed
    assert not ex.savings.compressed
    assert ex.savings.steps == {}


async def test_summary_saving_is_net_of_what_the_summary_cost(counter):
    options = CompressionOptions(
        summarize=True,
        summarize_threshold_tokens=300,
        summarize_keep_turns=2,
        summarize_stride_turns=2,
        summarize_max_tokens=100,
        repetition=False,
        preamble=False,
    )
    upstream = FakeUpstream()
    step = _step(counter, options, upstream)
    ex = _exchange(_openai_chat())
    await step(ex, Recorder())
    saving = ex.savings.steps["summarize"]
    assert ex.savings.conversation_summarized and ex.savings.compressed
    assert saving.tokens == 819 - 245
    cost = price("gpt-4o-mini", 700, 40)
    assert saving.usd == price("gpt-4-turbo", 574, 0) - cost
    assert saving.detail["cost_usd"] == str(cost)

    again = _exchange(_openai_chat())
    await step(again, Recorder())
    assert len(upstream.requests) == 1
    assert again.savings.steps["summarize"].usd == price("gpt-4-turbo", 574, 0)


async def test_a_failing_step_is_skipped_and_the_request_goes_on(
    counter, monkeypatch, caplog
):
    def broken(*_args):
        raise ValueError("bug")

    monkeypatch.setattr(
        compress, "SYNC_STEPS", {**compress.SYNC_STEPS, "tools": broken}
    )
    ex = _exchange(_openai_body())
    following = Recorder()
    with caplog.at_level(logging.ERROR):
        await _step(counter)(ex, following)
    assert following.bodies == [ex.body]
    assert "tools" not in ex.savings.steps
    assert ex.savings.repetition_removed
    assert "compression step tools failed" in caplog.text
    assert Decimal(0) < ex.savings.usd_saved


async def test_large_bodies_compress_off_the_event_loop_with_the_same_result(counter):
    log = "WARN db pool: waiting for a free connection\n" * 2000
    body = {"model": "gpt-4-turbo", "messages": [{"role": "user", "content": log}]}
    ex = _exchange(body)
    assert len(ex.raw_body) >= compress.INLINE_BYTES
    await _step(counter)(ex, Recorder())
    assert ex.body["messages"][0]["content"] == (
        "WARN db pool: waiting for a free connection\n"
        "[previous line repeated 1999 more times]\n"
    )
    assert ex.savings.steps["repetition"].detail == {"lines_dropped": 1999}
