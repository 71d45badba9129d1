"""cost_spike: a tag's spend this hour against its own recent baseline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from appliance.settings import LeakSettings
from tests.jobs.history import UNTIL, History, minutes_before, scan

HOUR = timedelta(hours=1)


def baseline(history: History, usd_an_hour: str, hours: int = 24, **fields) -> None:
    """One request in each of the `hours` hours before the current one."""
    history.add(
        history.record(
            UNTIL - HOUR - (n + 0.5) * HOUR, cost_usd=Decimal(usd_an_hour), **fields
        )
        for n in range(hours)
    )


def this_hour(history: History, costs: list[str], **fields) -> list:
    """Requests a minute apart from 40 minutes before the scanned period's end."""
    start = minutes_before(UNTIL, 40)
    return history.add(
        history.record(start + timedelta(minutes=i), cost_usd=Decimal(usd), **fields)
        for i, usd in enumerate(costs)
    )


def test_tag_spending_far_above_its_baseline_is_a_cost_spike(engine, history, leaks):
    baseline(history, "0.06", feature_tag="chatbot")
    costs = ["0.50"] * 30
    costs[7] = "2.00"
    spent = this_hour(history, costs, feature_tag="chatbot")

    found = scan(engine, leaks)

    assert len(found) == 1
    spike = found[0]
    assert (spike["pattern"], spike["feature_tag"], spike["count"]) == (
        "cost_spike",
        "chatbot",
        30,
    )
    # $16.50 this hour less the baseline's $0.06; 30 x 600 tokens less 60 x 10.
    assert Decimal(spike["usd_wasted"]) == Decimal("16.44")
    assert spike["tokens_wasted"] == 30 * 600 - 60 * 10
    assert spike["evidence"][0] == spent[7].request_id
    assert len(spike["evidence"]) == 5
    assert spike["window_start"] == minutes_before(UNTIL, 40).isoformat()
    assert spike["window_end"] == minutes_before(UNTIL, 10).isoformat()
    assert "spent $16.5000 in the last hour over 30 requests" in spike["detail"]
    assert "275.0 times its baseline of $0.0600 an hour" in spike["detail"]


def test_steady_new_or_small_spend_is_not_a_spike(engine, history, leaks):
    baseline(history, "0.50", feature_tag="steady")
    this_hour(history, ["0.60"] * 1, feature_tag="steady")
    this_hour(history, ["2.00"] * 10, feature_tag="newbie")
    baseline(history, "0.20", hours=5, feature_tag="young")
    this_hour(history, ["2.00"] * 10, feature_tag="young")
    baseline(history, "0.01", feature_tag="small")
    this_hour(history, ["0.10"] * 5, feature_tag="small")

    assert scan(engine, leaks) == []


def test_team_and_user_tags_are_watched_when_listed(engine, history, leaks):
    baseline(history, "0.06", team_tag="growth", user_tag="u1")
    this_hour(history, ["1.00"] * 10, team_tag="growth", user_tag="u1")
    watched = LeakSettings.model_validate(
        {**leaks.model_dump(), "cost_spike": {"tags": ["team", "user"]}}
    )

    found = scan(engine, watched)

    assert {(f["team_tag"], f["user_tag"]) for f in found} == {
        (None, "u1"),
        ("growth", None),
    }
    assert {f["usd_wasted"] for f in found} == {"9.940000000"}
