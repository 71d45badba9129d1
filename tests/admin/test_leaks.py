"""Leak findings through the admin API: list by workspace and status, resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from appliance.store import findings, workspaces

MINUTE = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def sighting(ws: str, subject: str) -> findings.Sighting:
    return findings.Sighting(
        workspace_id=ws,
        pattern="retry",
        subject=subject,
        minutes={MINUTE: findings.Tally(4, 4000, Decimal("0.04"))},
        evidence=["req_1", "req_2"],
        detail="the same request sent 4 times in a minute",
        feature_tag="chat",
    )


def test_findings_listed_filtered_and_resolved(admin):
    engine = admin.runtime.engine
    acme = workspaces.create(engine, "acme").id
    other = workspaces.create(engine, "other").id
    until = MINUTE + timedelta(minutes=1)
    findings.record(engine, sighting(acme, "h1"), until, until)
    findings.record(engine, sighting(other, "h2"), until, until)

    open_all = admin.call("GET", "/leaks").json()
    assert len(open_all) == 2
    [mine] = admin.call("GET", "/leaks", params={"workspace": "acme"}).json()
    assert mine["workspace_id"] == acme
    assert (mine["pattern"], mine["count"], mine["tokens_wasted"]) == ("retry", 4, 4000)
    assert Decimal(mine["usd_wasted"]) == Decimal("0.04")
    assert mine["evidence"] == ["req_1", "req_2"]
    assert mine["status"] == "open"

    resolved = admin.call("POST", f"/leaks/{mine['id']}/resolve")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert admin.call("GET", "/leaks", params={"workspace": acme}).json() == []
    closed = admin.call("GET", "/leaks", params={"status": "resolved"}).json()
    assert [f["id"] for f in closed] == [mine["id"]]
    assert len(admin.call("GET", "/leaks", params={"status": "all"}).json()) == 2


def test_bad_leak_requests(admin):
    assert admin.call("GET", "/leaks", params={"status": "new"}).status_code == 400
    missing = admin.call("POST", "/leaks/999/resolve")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert admin.call("GET", "/leaks", params={"workspace": "nope"}).status_code == 404
