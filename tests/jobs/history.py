"""Synthetic usage histories: usage records written straight to the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy.engine import Engine

from appliance.jobs.scan import run_scan
from appliance.settings import LeakSettings
from appliance.store import findings
from appliance.store.models import UsageRecord

# Scans at NOW read the hour of whole minutes before 12:00 (10 s settle).
NOW = datetime(2025, 3, 4, 12, 0, 30, tzinfo=UTC)
UNTIL = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
WORKSPACE = "ws_acme"


class History:
    """Builds usage records with plausible defaults and writes them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ids = count(1)

    def record(self, at: datetime, **fields: Any) -> UsageRecord:
        serial = next(self._ids)
        values: dict[str, Any] = {
            "request_id": f"req_{serial:05d}",
            "created_at": at,
            "workspace_id": WORKSPACE,
            "key_id": "key_1",
            "endpoint": "/v1/chat/completions",
            "original_model": "gpt-4o",
            "sent_model": "gpt-4o",
            "status": 200,
            "prompt_tokens": 500,
            "completion_tokens": 100,
            "cost_usd": Decimal("0.0060"),
            "request_hash": f"body{serial}",
            "conversation_hash": f"conv{serial}",
        }
        values.update(fields)
        return UsageRecord(**values)

    def add(self, records: Iterable[UsageRecord]) -> list[UsageRecord]:
        rows = list(records)
        table = UsageRecord.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as connection:
            connection.execute(table.insert(), [_columns(row) for row in rows])
        return rows


def _columns(record: UsageRecord) -> dict[str, Any]:
    columns = record.model_dump()
    columns.pop("id", None)
    return columns


def minutes_before(until: datetime, minutes: float) -> datetime:
    return until - timedelta(minutes=minutes)


def scan(
    engine: Engine, leaks: LeakSettings, now: datetime = NOW
) -> list[dict[str, Any]]:
    """Run one scan; every finding it opened, updated or saw, described."""
    return [
        {**findings.describe(o.finding), "action": o.action}
        for o in run_scan(engine, leaks, now)
    ]


def by_pattern(found: list[dict[str, Any]], pattern: str) -> list[dict[str, Any]]:
    return [f for f in found if f["pattern"] == pattern]


def priced_per_token(prompt: int, completion: int) -> Decimal:
    """A cost of one microdollar a token, so estimated waste reads off the tokens."""
    return Decimal(prompt + completion) / 1_000_000
