"""The operator CLI: each command with --json prints only JSON, on the server's database."""

from __future__ import annotations

import json

import pytest

from appliance.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPTERA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("OPTERA_CONFIG", raising=False)

    def invoke(*args: str) -> tuple[int, object]:
        code = main([*args, "--json"])
        out = capsys.readouterr().out
        return code, json.loads(out)

    return invoke


def test_workspace_lifecycle_through_the_cli(run):
    code, ws = run("workspace", "create", "--name", "acme", "--plan", "growth")
    assert code == 0
    assert ws["plan"] == "growth"
    assert ws["quota"] == 500_000
    assert ws["subscription"] == "none"
    _, active = run("subscription", "activate", ws["id"])
    assert active["subscription"] == "active"
    _, custom = run(
        "workspace",
        "set-plan",
        "acme",
        "--plan",
        "custom",
        "--quota",
        "42",
        "--burst",
        "5",
    )
    assert custom["quota"] == 42
    assert custom["burst_rate"] == 5.0
    _, listed = run("workspace", "list")
    assert [w["name"] for w in listed] == ["acme"]
    _, canceled = run("subscription", "cancel", "acme")
    assert canceled["subscription"] == "canceled"


def test_key_is_printed_once_and_listed_without_secret(run):
    _, ws = run("workspace", "create", "--name", "acme")
    _, issued = run("key", "issue", ws["id"])
    assert issued["key"].startswith("opk_")
    assert issued["prefix"] == issued["key"][:12]
    _, listed = run("key", "list", ws["id"])
    assert "key" not in listed[0]
    assert issued["key"] not in json.dumps(listed)
    _, revoked = run("key", "revoke", issued["id"])
    assert revoked["revoked"] is True
    assert revoked["live"] is False


def test_errors_are_json_with_nonzero_exit(run):
    code, body = run("subscription", "activate", "nope")
    assert code == 1
    assert "No workspace" in body["error"]
    code, body = run("workspace", "create", "--name", "x", "--plan", "custom")
    assert code == 1


def test_usage_totals_per_tag_are_exact(run, tmp_path):
    from decimal import Decimal
    from pathlib import Path

    from appliance.store.db import open_engine
    from appliance.store.models import UsageRecord
    from appliance.store.usage import write_batch

    engine = open_engine(Path(tmp_path / "data"))
    rows = [
        UsageRecord(
            request_id=f"r{i}",
            workspace_id="ws",
            feature_tag=tag,
            prompt_tokens=10,
            completion_tokens=5,
            cost_usd=Decimal("0.0001"),
            raw_cost_usd=Decimal("0.0003"),
            cost_saved_usd=Decimal("0.0002"),
            tokens_saved=7,
        )
        for i, tag in enumerate(["chat", "chat", "search"])
    ]
    write_batch(engine, rows, {})
    _, totals = run("usage", "--by", "feature")
    assert totals == [
        {
            "feature": "chat",
            "requests": 2,
            "prompt_tokens": 20,
            "completion_tokens": 10,
            "tokens_saved": 14,
            "cost_usd": "0.0002",
            "raw_cost_usd": "0.0006",
            "cost_saved_usd": "0.0004",
            "cache_hits": 0,
        },
        {
            "feature": "search",
            "requests": 1,
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "tokens_saved": 7,
            "cost_usd": "0.0001",
            "raw_cost_usd": "0.0003",
            "cost_saved_usd": "0.0002",
            "cache_hits": 0,
        },
    ]


def test_usage_period_takes_plain_dates_as_utc_days(run, tmp_path):
    from datetime import UTC, datetime
    from pathlib import Path

    from appliance.store.db import open_engine
    from appliance.store.models import UsageRecord
    from appliance.store.usage import write_batch

    engine = open_engine(Path(tmp_path / "data"))
    days = [
        datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 1, 0, 1, tzinfo=UTC),
    ]
    rows = [
        UsageRecord(
            request_id=f"r{i}", workspace_id="ws", feature_tag="f", created_at=day
        )
        for i, day in enumerate(days)
    ]
    write_batch(engine, rows, {})
    code, totals = run("usage", "--by", "feature", "--since", "2026-12-01")
    assert code == 0
    assert [t["requests"] for t in totals] == [1]
    code, totals = run("usage", "--by", "feature", "--until", "2026-12-01T00:00:00")
    assert [t["requests"] for t in totals] == [1]


def test_usage_period_that_is_not_a_date_is_a_clean_error(run):
    code, body = run("usage", "--by", "feature", "--since", "garbage")
    assert code == 1
    assert "--since takes an ISO date" in body["error"]


def test_unreadable_configuration_is_a_clean_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("OPTERA_CONFIG", str(tmp_path / "missing.toml"))
    code, body = run("workspace", "list")
    assert code == 1
    assert body["error"].startswith("the configuration cannot be used")
    monkeypatch.delenv("OPTERA_CONFIG")
    monkeypatch.setenv("OPTERA_PORT", "abc")
    code, body = run("workspace", "list")
    assert code == 1
    assert "port" in body["error"].lower()
