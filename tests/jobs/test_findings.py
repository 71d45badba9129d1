"""Findings over several scans: deduplicated while a pattern lasts, resolvable."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from appliance.store import findings
from tests.jobs.history import NOW, UNTIL, History, minutes_before, scan

DESCRIBED = {
    "id",
    "workspace_id",
    "pattern",
    "feature_tag",
    "team_tag",
    "user_tag",
    "window_start",
    "window_end",
    "count",
    "tokens_wasted",
    "usd_wasted",
    "evidence",
    "status",
    "first_seen",
    "last_seen",
    "detail",
}


def loop_minute(history: History, minute: datetime, n: int = 12) -> list:
    return history.add(
        history.record(
            minute + timedelta(seconds=4 * i),
            feature_tag="planner",
            conversation_hash="c-loop",
            prompt_tokens=1000,
            completion_tokens=0,
            cost_usd=Decimal("0.001"),
        )
        for i in range(n)
    )


def test_scanning_again_counts_nothing_twice(engine, history, leaks):
    loop_minute(history, minutes_before(UNTIL, 20))
    first = scan(engine, leaks)

    again = scan(engine, leaks, NOW + timedelta(seconds=20))

    assert [f["action"] for f in again] == ["seen"]
    assert again[0]["id"] == first[0]["id"]
    kept = findings.describe(findings.get(engine, first[0]["id"]))
    assert (kept["count"], kept["tokens_wasted"], kept["usd_wasted"]) == (
        12,
        11_000,
        "0.011",
    )
    assert kept["last_seen"] == (NOW + timedelta(seconds=20)).isoformat()
    assert kept["first_seen"] == NOW.isoformat()


def test_a_pattern_that_lasts_grows_its_open_finding(engine, history, leaks):
    loop_minute(history, minutes_before(UNTIL, 20))
    opened = scan(engine, leaks)[0]
    later = UNTIL + timedelta(minutes=2)
    loop_minute(history, later)

    grown = scan(engine, leaks, NOW + timedelta(minutes=5))

    assert [(f["id"], f["action"]) for f in grown] == [(opened["id"], "updated")]
    assert (grown[0]["count"], grown[0]["tokens_wasted"]) == (24, 22_000)
    assert grown[0]["usd_wasted"] == "0.022"
    assert grown[0]["window_start"] == opened["window_start"]
    assert grown[0]["window_end"] == (later + timedelta(minutes=1)).isoformat()
    assert len(findings.list_findings(engine)) == 1


def test_a_resolved_pattern_that_comes_back_opens_a_new_finding(engine, history, leaks):
    loop_minute(history, minutes_before(UNTIL, 20))
    first = scan(engine, leaks)[0]
    findings.resolve(engine, first["id"], now=NOW + timedelta(minutes=1))
    loop_minute(history, UNTIL + timedelta(minutes=3))

    back = scan(engine, leaks, NOW + timedelta(minutes=5))

    assert [f["action"] for f in back] == ["opened"]
    assert back[0]["id"] != first["id"]
    assert (back[0]["count"], back[0]["tokens_wasted"]) == (12, 11_000)
    old = findings.get(engine, first["id"])
    assert (old.status, old.count) == ("resolved", 12)
    assert [f.id for f in findings.list_findings(engine)] == [back[0]["id"]]
    assert len(findings.list_findings(engine, status=None)) == 2


def test_a_resolved_finding_is_not_reopened_by_records_it_already_counted(
    engine, history, leaks
):
    loop_minute(history, minutes_before(UNTIL, 20))
    first = scan(engine, leaks)[0]
    findings.resolve(engine, first["id"], now=NOW + timedelta(minutes=1))
    history.add([history.record(UNTIL + timedelta(minutes=2), feature_tag="other")])

    assert scan(engine, leaks, NOW + timedelta(minutes=5)) == []
    assert findings.list_findings(engine) == []


def test_findings_are_listed_per_workspace_and_described_for_the_admin_api(
    engine, history, leaks
):
    loop_minute(history, minutes_before(UNTIL, 20))
    history.add(
        history.record(
            minutes_before(UNTIL, 30) + timedelta(seconds=2 * i),
            workspace_id="ws_other",
            conversation_hash="c-other",
        )
        for i in range(10)
    )
    scan(engine, leaks)

    mine = findings.list_findings(engine, workspace_id="ws_acme")
    described = findings.describe(mine[0])

    assert [f.workspace_id for f in mine] == ["ws_acme"]
    assert len(findings.list_findings(engine)) == 2
    assert set(described) == DESCRIBED
    assert described["status"] == "open"
    assert isinstance(described["usd_wasted"], str)
    resolved = findings.resolve(engine, mine[0].id)
    assert findings.describe(resolved)["status"] == "resolved"
