"""A day of ordinary traffic: chats, tagged features, cache hits, stray errors."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from tests.jobs.history import UNTIL, History, scan

FEATURES = ("support", "search", "summarize", "classify")
TEAMS = ("web", "mobile")


def ordinary_day(history: History, seed: int = 7) -> int:
    """25 hours of chats of 1 to 6 turns, a few minutes apart; returns the count."""
    rng = random.Random(seed)
    start = UNTIL - timedelta(hours=25)
    records = []
    for chat in range(1500):
        at = start + timedelta(seconds=rng.uniform(0, 25 * 3600 - 3600))
        feature = rng.choice(FEATURES)
        prompt = rng.randint(200, 3000)
        for turn in range(rng.randint(1, 6)):
            records.append(_turn(history, rng, chat, turn, at, feature, prompt))
            at += timedelta(minutes=rng.uniform(1, 4))
            prompt += rng.randint(50, 400)
    history.add(records)
    return len(records)


def _turn(history, rng, chat, turn, at, feature, prompt):  # type: ignore[no-untyped-def]
    completion = rng.randint(20, 600)
    fields = {
        "feature_tag": feature,
        "team_tag": rng.choice(TEAMS),
        "user_tag": f"user{chat % 40}",
        "conversation_hash": f"chat{chat}",
        "request_hash": f"chat{chat}-turn{turn}",
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "cost_usd": Decimal(prompt * 5 + completion * 15) / 1_000_000,
    }
    roll = rng.random()
    if roll < 0.05:
        fields.update(cache="exact", prompt_tokens=0, completion_tokens=0)
        fields["cost_usd"] = Decimal(0)
    elif roll < 0.06:
        fields.update(status=502, error_type="upstream_error", prompt_tokens=0)
        fields.update(completion_tokens=0, cost_usd=Decimal(0))
    return history.record(at, **fields)


def test_ordinary_traffic_raises_no_finding(engine, history, leaks):
    written = ordinary_day(history)

    assert written > 4000
    assert scan(engine, leaks) == []


def test_the_same_day_with_one_runaway_agent_raises_only_its_findings(
    engine, history, leaks
):
    ordinary_day(history)
    start = UNTIL - timedelta(minutes=45)
    history.add(
        history.record(
            start + timedelta(minutes=2 * turn),
            feature_tag="support",
            conversation_hash="agent-run",
            prompt_tokens=2000 * (turn + 1),
            completion_tokens=80,
        )
        for turn in range(15)
    )

    found = scan(engine, leaks)

    # Its late turns are also many times the feature's median prompt.
    assert sorted((f["pattern"], f["feature_tag"]) for f in found) == [
        ("oversized_context", "support"),
        ("runaway_prompt", "support"),
    ]
    runaway = next(f for f in found if f["pattern"] == "runaway_prompt")
    assert runaway["count"] == 15
    assert runaway["tokens_wasted"] == 2000 * sum(range(15))
