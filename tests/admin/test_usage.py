"""Usage reports through the admin API, exact on records written by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from appliance.store import usage, workspaces
from appliance.store.models import UsageRecord

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def record(ws: str, minutes: int, **fields) -> UsageRecord:  # type: ignore[no-untyped-def]
    return UsageRecord(
        request_id=f"req_{ws}_{minutes}",
        workspace_id=ws,
        created_at=T0 + timedelta(minutes=minutes),
        status=200,
        **fields,
    )


@pytest.fixture
def ws(admin) -> str:  # type: ignore[no-untyped-def]
    """Workspace 'acme' with four records, and 'other' with one."""
    engine = admin.runtime.engine
    acme = workspaces.create(engine, "acme").id
    other = workspaces.create(engine, "other").id
    rows = [
        record(
            acme,
            0,
            feature_tag="chat",
            team_tag="t1",
            user_tag="u1",
            prompt_tokens=1000,
            completion_tokens=200,
            cost_usd=Decimal("0.004"),
            raw_cost_usd=Decimal("0.005"),
            cost_saved_usd=Decimal("0.001"),
            tokens_saved=100,
            savings={"preamble": {"tokens": 100, "usd": "0.001"}},
        ),
        record(
            acme,
            1,
            feature_tag="chat",
            team_tag="t1",
            cache="exact",
            raw_cost_usd=Decimal("0.0035"),
            cost_saved_usd=Decimal("0.0035"),
            tokens_saved=1500,
            savings={"exact_cache": {"tokens": 1500, "usd": "0.0035"}},
        ),
        record(
            acme,
            61,
            feature_tag="search",
            team_tag="t2",
            cache="semantic",
            raw_cost_usd=Decimal("0.002"),
            cost_saved_usd=Decimal("0.002"),
            tokens_saved=700,
            savings={"semantic_cache": {"tokens": 700, "usd": "0.002", "score": 0.97}},
        ),
        record(
            acme,
            125,
            prompt_tokens=800,
            completion_tokens=100,
            cached_tokens=500,
            cost_usd=Decimal("0.001"),
            raw_cost_usd=Decimal("0.003"),
            cost_saved_usd=Decimal("0.002"),
            savings={
                "routing": {"tokens": 0, "usd": "0.002"},
                "provider_cache": {"tokens": 500, "usd": "0.0005"},
            },
        ),
        record(
            other,
            5,
            prompt_tokens=10,
            cost_usd=Decimal("1.25"),
            raw_cost_usd=Decimal("1.25"),
        ),
    ]
    usage.write_batch(engine, rows, {})
    return acme


def test_summary_figures_are_exact(admin, ws):
    summary = admin.call("GET", f"/usage/summary?workspace={ws}").json()
    assert summary["requests"] == 4
    assert summary["prompt_tokens"] == 1800
    assert summary["completion_tokens"] == 300
    assert Decimal(summary["cost_usd"]) == Decimal("0.005")
    assert Decimal(summary["raw_cost_usd"]) == Decimal("0.0135")
    assert Decimal(summary["cost_saved_usd"]) == Decimal("0.0085")
    assert summary["tokens_saved"] == 2300
    assert summary["cache_hit_rate"] == 0.5
    assert summary["semantic_hit_rate"] == 0.25
    steps = summary["by_optimization"]
    assert set(steps) == {
        "exact_cache",
        "semantic_cache",
        "routing",
        "preamble",
        "repetition",
        "summarize",
        "tools",
        "images",
        "provider_cache",
    }
    assert steps["exact_cache"] == {"requests": 1, "tokens": 1500, "usd": "0.0035"}
    assert steps["semantic_cache"] == {"requests": 1, "tokens": 700, "usd": "0.002"}
    assert steps["routing"] == {"requests": 1, "tokens": 0, "usd": "0.002"}
    assert steps["preamble"] == {"requests": 1, "tokens": 100, "usd": "0.001"}
    assert steps["provider_cache"] == {"requests": 1, "tokens": 500, "usd": "0.0005"}
    assert steps["summarize"] == {"requests": 0, "tokens": 0, "usd": "0"}


def test_summary_quota_block_only_with_a_workspace(admin, ws):
    with_ws = admin.call("GET", "/usage/summary?workspace=acme").json()
    assert with_ws["quota"]["limit"] == 100_000
    assert with_ws["quota"]["used"] == 0
    assert with_ws["quota"]["remaining"] == 100_000
    assert with_ws["quota"]["reset"].endswith("T00:00:00+00:00")
    everything = admin.call("GET", "/usage/summary").json()
    assert "quota" not in everything
    assert everything["requests"] == 5
    assert Decimal(everything["cost_usd"]) == Decimal("1.255")


def test_summary_window_is_since_inclusive_until_exclusive(admin, ws):
    later = admin.call(
        "GET",
        "/usage/summary",
        params={"workspace": ws, "since": "2025-03-01T11:01:00Z"},
    ).json()
    assert later["requests"] == 2
    assert Decimal(later["cost_saved_usd"]) == Decimal("0.004")

    def upto(until: str) -> dict:
        params = {"workspace": ws, "since": "2025-03-01", "until": until}
        return admin.call("GET", "/usage/summary", params=params).json()

    assert upto("2025-03-01T12:01:00+02:00")["requests"] == 1
    assert upto("2025-03-01T12:01:30+02:00")["requests"] == 2
    assert upto("2025-03-01T12:01:30+02:00")["tokens_saved"] == 1600


def test_usage_by_tag_rows(admin, ws):
    by_feature = admin.call("GET", f"/usage/by/feature?workspace={ws}").json()
    assert [(r["feature"], r["requests"]) for r in by_feature] == [
        ("chat", 2),
        ("search", 1),
        (None, 1),
    ]
    chat = by_feature[0]
    assert Decimal(chat["cost_saved_usd"]) == Decimal("0.0045")
    assert chat["cache_hits"] == 1
    by_team = admin.call("GET", f"/usage/by/team?workspace={ws}").json()
    assert [(r["team"], r["tokens_saved"]) for r in by_team] == [
        ("t1", 1600),
        ("t2", 700),
        (None, 0),
    ]
    by_user = admin.call("GET", "/usage/by/user").json()
    assert [(r["user"], r["requests"]) for r in by_user] == [("u1", 1), (None, 4)]
    assert admin.call("GET", "/usage/by/planet").status_code == 400


def test_series_by_hour_includes_empty_buckets(admin, ws):
    points = admin.call(
        "GET",
        "/usage/series",
        params={
            "workspace": ws,
            "bucket": "hour",
            "since": "2025-03-01T09:00:00Z",
            "until": "2025-03-01T13:00:00Z",
        },
    ).json()
    assert [p["t"] for p in points] == [
        "2025-03-01T09:00:00+00:00",
        "2025-03-01T10:00:00+00:00",
        "2025-03-01T11:00:00+00:00",
        "2025-03-01T12:00:00+00:00",
    ]
    assert [p["requests"] for p in points] == [0, 2, 1, 1]
    assert [Decimal(p["cost_saved_usd"]) for p in points] == [
        Decimal(0),
        Decimal("0.0045"),
        Decimal("0.002"),
        Decimal("0.002"),
    ]
    assert [p["tokens_saved"] for p in points] == [0, 1600, 700, 0]
    assert points[1]["cost_usd"] == "0.004"


def test_series_by_minute_and_day(admin, ws):
    minutes = admin.call(
        "GET",
        "/usage/series",
        params={
            "workspace": ws,
            "bucket": "minute",
            "since": "2025-03-01T10:00:00Z",
            "until": "2025-03-01T10:03:00Z",
        },
    ).json()
    assert [p["requests"] for p in minutes] == [1, 1, 0]
    days = admin.call(
        "GET",
        "/usage/series",
        params={"bucket": "day", "since": "2025-02-28", "until": "2025-03-02"},
    ).json()
    assert [(p["t"][:10], p["requests"]) for p in days] == [
        ("2025-02-28", 0),
        ("2025-03-01", 5),
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"bucket": "week"}, 400),
        ({"bucket": "minute", "since": "2020-01-01", "until": "2025-01-01"}, 400),
        ({"since": "yesterday"}, 400),
        ({"since": "2025-03-02", "until": "2025-03-01"}, 400),
        ({"workspace": "ws_nothere"}, 404),
    ],
)
def test_bad_series_parameters(admin, ws, params, status):
    response = admin.call("GET", "/usage/series", params=params)
    assert response.status_code == status
    assert response.json()["error"]["message"]
