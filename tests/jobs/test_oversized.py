"""oversized_context: prompts that fill the window or dwarf their tag's median."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.jobs.history import (
    UNTIL,
    History,
    minutes_before,
    priced_per_token,
    scan,
)


def requests(history: History, n: int, prompt: int, completion: int, **fields):
    start = minutes_before(UNTIL, 45)
    return history.add(
        history.record(
            start + timedelta(minutes=i),
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=priced_per_token(prompt, completion),
            **fields,
        )
        for i in range(n)
    )


def test_prompts_filling_the_context_window_with_short_answers(engine, history, leaks):
    sent = requests(history, 3, 110_000, 40, feature_tag="docs-qa")

    found = scan(engine, leaks)

    assert len(found) == 1
    finding = found[0]
    assert (finding["pattern"], finding["feature_tag"], finding["count"]) == (
        "oversized_context",
        "docs-qa",
        3,
    )
    # Too few requests for a median: the excess over a quarter of the window.
    assert finding["tokens_wasted"] == 3 * (110_000 - 32_000)
    assert Decimal(finding["usd_wasted"]) == Decimal("0.234")
    assert finding["evidence"] == [r.request_id for r in sent]
    assert "3 filled at least 80%" in finding["detail"]


def test_window_of_a_dated_snapshot_is_its_base_models(engine, history, leaks):
    requests(
        history, 3, 7000, 20, feature_tag="legacy", sent_model="small-model-20240101"
    )

    found = scan(engine, leaks)

    assert [(f["feature_tag"], f["tokens_wasted"]) for f in found] == [
        ("legacy", 3 * (7000 - 8192 // 4))
    ]


def test_prompts_many_times_their_tags_median(engine, history, leaks):
    day = [UNTIL - timedelta(hours=20) + timedelta(minutes=30 * i) for i in range(30)]
    history.add(
        history.record(at, feature_tag="summarize", prompt_tokens=1000) for at in day
    )
    requests(history, 4, 9000, 50, feature_tag="summarize")

    found = scan(engine, leaks)

    assert len(found) == 1
    assert (found[0]["feature_tag"], found[0]["count"]) == ("summarize", 4)
    assert found[0]["tokens_wasted"] == 4 * (9000 - 1000)
    assert Decimal(found[0]["usd_wasted"]) == Decimal("0.032")
    assert "4 were 8 times or more the median" in found[0]["detail"]
    assert "(1000 tokens)" in found[0]["detail"]


def test_large_prompts_that_are_usual_or_well_answered_are_not_oversized(
    engine, history, leaks
):
    requests(history, 25, 20_000, 800, feature_tag="rag")
    requests(history, 25, 6000, 30, feature_tag="classify")
    requests(history, 2, 110_000, 40, feature_tag="rare")

    assert scan(engine, leaks) == []
