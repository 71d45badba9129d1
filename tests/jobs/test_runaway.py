"""runaway_prompt: growing conversations, growing tags, agent loops."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.jobs.history import (
    UNTIL,
    WORKSPACE,
    History,
    minutes_before,
    priced_per_token,
    scan,
)


def conversation(
    history: History, conversation_hash: str, prompts: list[int], **fields
) -> list:
    start = minutes_before(UNTIL, 50)
    return history.add(
        history.record(
            start + timedelta(minutes=turn),
            conversation_hash=conversation_hash,
            prompt_tokens=prompt,
            completion_tokens=50,
            cost_usd=priced_per_token(prompt, 50),
            **fields,
        )
        for turn, prompt in enumerate(prompts)
    )


def test_conversation_growing_turn_after_turn_is_runaway(engine, history, leaks):
    turns = conversation(
        history,
        "c-grow",
        [1000 + 500 * turn for turn in range(12)],
        feature_tag="agent",
        team_tag="core",
    )

    found = scan(engine, leaks)

    assert len(found) == 1
    finding = found[0]
    assert finding["pattern"] == "runaway_prompt"
    assert finding["action"] == "opened"
    assert (finding["workspace_id"], finding["feature_tag"]) == (WORKSPACE, "agent")
    assert finding["team_tag"] == "core"
    assert finding["count"] == 12
    assert finding["tokens_wasted"] == 500 * sum(range(12))
    assert Decimal(finding["usd_wasted"]) == Decimal("0.033")
    assert finding["evidence"] == [turns[-1].request_id]
    assert finding["window_start"] == minutes_before(UNTIL, 50).isoformat()
    assert finding["window_end"] == minutes_before(UNTIL, 38).isoformat()
    assert "12 turns" in finding["detail"]
    assert "1000 to 6500 tokens" in finding["detail"]


def test_short_or_slowly_growing_conversations_are_not_runaway(engine, history, leaks):
    conversation(history, "c-short", [1000, 2500, 4000, 6000, 9000], feature_tag="a")
    conversation(
        history, "c-chat", [3000 + 250 * turn for turn in range(12)], feature_tag="b"
    )
    conversation(
        history, "c-flat", [3000, 2000, 3500, 1000] * 3 + [13000], feature_tag="c"
    )

    assert scan(engine, leaks) == []


def test_tag_whose_prompts_grow_across_conversations_is_runaway(engine, history, leaks):
    start = minutes_before(UNTIL, 40)
    history.add(
        history.record(
            start + timedelta(minutes=2 * n),
            feature_tag="memory",
            prompt_tokens=800 + 400 * n,
            completion_tokens=50,
            cost_usd=priced_per_token(800 + 400 * n, 50),
        )
        for n in range(10)
    )

    found = scan(engine, leaks)

    assert [(f["pattern"], f["feature_tag"], f["count"]) for f in found] == [
        ("runaway_prompt", "memory", 10)
    ]
    assert found[0]["tokens_wasted"] == 400 * sum(range(10))
    assert Decimal(found[0]["usd_wasted"]) == Decimal("0.018")
    assert "across conversations" in found[0]["detail"]


def test_interleaved_traffic_of_a_busy_tag_is_not_growth(engine, history, leaks):
    start = minutes_before(UNTIL, 40)
    prompts = [400, 9000, 700, 5000, 300, 12000, 900, 3000, 600, 15000, 500, 8000]
    history.add(
        history.record(
            start + timedelta(minutes=n), feature_tag="search", prompt_tokens=prompt
        )
        for n, prompt in enumerate(prompts)
    )

    assert scan(engine, leaks) == []


def test_one_conversation_sent_many_times_a_minute_is_an_agent_loop(
    engine, history, leaks
):
    minute = minutes_before(UNTIL, 20)
    sent = history.add(
        history.record(
            minute + timedelta(seconds=4 * n),
            feature_tag="planner",
            conversation_hash="c-loop",
            prompt_tokens=2000 + n,
            completion_tokens=100,
            cost_usd=Decimal("0.0210"),
        )
        for n in range(15)
    )

    found = scan(engine, leaks)

    assert len(found) == 1
    loop = found[0]
    assert (loop["pattern"], loop["feature_tag"], loop["count"]) == (
        "runaway_prompt",
        "planner",
        15,
    )
    assert loop["tokens_wasted"] == sum(2100 + n for n in range(1, 15))
    assert loop["usd_wasted"] == "0.2940"
    assert loop["evidence"] == [r.request_id for r in sent[1:6]]
    assert (loop["window_start"], loop["window_end"]) == (
        minute.isoformat(),
        (minute + timedelta(minutes=1)).isoformat(),
    )
    assert "busiest minute sent 15" in loop["detail"]


def test_identical_requests_outside_chat_many_times_a_minute_are_a_loop(
    engine, history, leaks
):
    minute = minutes_before(UNTIL, 10)
    history.add(
        history.record(
            minute + timedelta(seconds=5 * n),
            endpoint="/v1/embeddings",
            feature_tag="indexer",
            request_hash="same-body",
            conversation_hash=None,
            prompt_tokens=300,
            completion_tokens=0,
            cost_usd=Decimal("0.0001"),
        )
        for n in range(12)
    )

    found = scan(engine, leaks)

    assert [(f["pattern"], f["count"], f["tokens_wasted"]) for f in found] == [
        ("runaway_prompt", 12, 11 * 300)
    ]
    assert found[0]["usd_wasted"] == "0.0011"


def test_agent_calling_tools_quickly_is_not_a_loop(engine, history, leaks):
    minute = minutes_before(UNTIL, 20)
    history.add(
        history.record(
            minute + timedelta(seconds=5 * n),
            feature_tag="coder",
            conversation_hash="c-tools",
            prompt_tokens=10_000 + 300 * n,
        )
        for n in range(12)
    )

    assert scan(engine, leaks) == []
