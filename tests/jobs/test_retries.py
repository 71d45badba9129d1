"""retry: identical requests sent again soon after, and upstream error bursts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.jobs.history import UNTIL, History, minutes_before, scan

FAILED = {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": Decimal(0)}
PAID = {"prompt_tokens": 800, "completion_tokens": 200, "cost_usd": Decimal("0.0100")}


def sends(history: History, body: str, plan: list[tuple[float, dict]], **fields):
    """One request body sent at each (seconds after the start, fields) of `plan`."""
    start = minutes_before(UNTIL, 30)
    return history.add(
        history.record(
            start + timedelta(seconds=offset),
            request_hash=body,
            conversation_hash=f"conv-{body}",
            **{**fields, **extra},
        )
        for offset, extra in plan
    )


def test_requests_sent_again_soon_after_are_retries(engine, history, leaks):
    upstream_502 = {**FAILED, "status": 502, "error_type": "upstream_error"}
    timeout = {**FAILED, "status": 504, "error_type": "upstream_timeout"}
    pay = sends(
        history, "b-pay", [(0, upstream_502), (5, PAID)], feature_tag="checkout"
    )
    tax = sends(history, "b-tax", [(60, timeout), (70, PAID)], feature_tag="checkout")
    ship = sends(
        history,
        "b-ship",
        [(200, PAID), (230, PAID), (270, PAID)],
        feature_tag="checkout",
    )

    found = scan(engine, leaks)

    assert len(found) == 1
    retry = found[0]
    assert (retry["pattern"], retry["feature_tag"], retry["count"]) == (
        "retry",
        "checkout",
        4,
    )
    # The failed tries were billed nothing; each repeated success paid again.
    assert retry["tokens_wasted"] == 2 * 1000
    assert retry["usd_wasted"] == "0.0200"
    assert retry["evidence"] == [
        pay[1].request_id,
        ship[1].request_id,
        ship[2].request_id,
        tax[1].request_id,
    ]
    assert "3 distinct bodies; 2 retried an error" in retry["detail"]


def test_repeats_far_apart_or_few_are_not_flagged(engine, history, leaks):
    sends(history, "b-report", [(0, PAID), (600, PAID), (1200, PAID)])
    sends(history, "b-once", [(0, PAID), (10, PAID)], feature_tag="once")
    sends(history, "b-twice", [(0, PAID), (10, PAID)], feature_tag="once")

    assert scan(engine, leaks) == []


def test_untagged_retries_are_flagged_under_their_proxy_key(engine, history, leaks):
    sends(history, "b-x", [(0, PAID), (1, PAID), (2, PAID), (3, PAID)], key_id="key_9")

    found = scan(engine, leaks)

    assert [(f["pattern"], f["feature_tag"], f["count"]) for f in found] == [
        ("retry", None, 3)
    ]


def failures_in_minute(
    history: History, minute, failed: int, ok: int, model: str, **failure
) -> list:
    failing = {**FAILED, "status": 503, "error_type": "upstream_error", **failure}
    rows = [
        history.record(minute + timedelta(seconds=n), sent_model=model, **failing)
        for n in range(failed)
    ]
    rows += [
        history.record(minute + timedelta(seconds=failed + n), sent_model=model)
        for n in range(ok)
    ]
    return history.add(rows)


def test_bursts_of_upstream_errors_are_retry_findings(engine, history, leaks):
    first = minutes_before(UNTIL, 15)
    burst = failures_in_minute(history, first, 11, 1, "gpt-4o-mini")
    failures_in_minute(
        history, first + timedelta(minutes=1), 10, 0, "gpt-4o-mini", status=429
    )
    failures_in_minute(history, first + timedelta(minutes=2), 5, 0, "gpt-4o-mini")
    failures_in_minute(history, first + timedelta(minutes=3), 12, 28, "gpt-4o-mini")

    found = scan(engine, leaks)

    assert len(found) == 1
    errors = found[0]
    assert (errors["pattern"], errors["count"], errors["tokens_wasted"]) == (
        "retry",
        21,
        0,
    )
    assert errors["usd_wasted"] == "0"
    assert (errors["window_start"], errors["window_end"]) == (
        first.isoformat(),
        (first + timedelta(minutes=2)).isoformat(),
    )
    assert errors["evidence"] == [r.request_id for r in burst[:5]]
    assert "gpt-4o-mini failed 21 times over 2 minute(s)" in errors["detail"]
    assert "429 x10, 503 x11" in errors["detail"]


def test_our_own_quota_refusals_are_not_upstream_errors(engine, history, leaks):
    minute = minutes_before(UNTIL, 15)
    failures_in_minute(
        history, minute, 20, 0, "gpt-4o", status=429, error_type="quota_exceeded"
    )

    assert scan(engine, leaks) == []


def test_timeouts_and_unreachable_upstreams_count_as_errors(engine, history, leaks):
    minute = minutes_before(UNTIL, 15)
    failures_in_minute(
        history,
        minute,
        6,
        0,
        "claude-haiku-4-5",
        status=504,
        error_type="upstream_timeout",
    )
    failures_in_minute(
        history,
        minute + timedelta(seconds=30),
        6,
        0,
        "claude-haiku-4-5",
        status=502,
        error_type="upstream_unreachable",
    )

    found = scan(engine, leaks)

    assert [(f["pattern"], f["count"]) for f in found] == [("retry", 12)]
    assert "upstream_timeout x6, upstream_unreachable x6" in found[0]["detail"]
