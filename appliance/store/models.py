"""The tables: workspaces, proxy keys, quota counters and usage records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, Column, Index, String, TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class DecimalText(TypeDecorator):
    """Exact dollars: stored as text so SQLite never rounds them to a float."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def money() -> Any:
    return Field(default=Decimal(0), sa_column=Column(DecimalText(), nullable=False))


class Workspace(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    plan: str = "starter"
    custom_quota: int | None = None
    burst_rate: float | None = None
    burst_capacity: int | None = None
    subscription_status: str = "none"  # none | active | canceled
    subscription_started_at: datetime | None = None
    subscription_canceled_at: datetime | None = None
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


class ProxyKey(SQLModel, table=True):
    id: str = Field(primary_key=True)
    workspace_id: str = Field(foreign_key="workspace.id", index=True)
    key_hash: str = Field(unique=True, index=True)
    prefix: str
    name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None


class QuotaCounter(SQLModel, table=True):
    workspace_id: str = Field(primary_key=True)
    period: str = Field(primary_key=True)  # YYYY-MM, UTC
    count: int = 0


class UsageRecord(SQLModel, table=True):
    __table_args__ = (
        Index("ix_usage_ws_time", "workspace_id", "created_at"),
        Index("ix_usage_time", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    workspace_id: str | None = None
    key_id: str | None = None
    feature_tag: str | None = None
    team_tag: str | None = None
    user_tag: str | None = None
    protocol: str = "openai"
    endpoint: str = ""
    original_model: str | None = None
    sent_model: str | None = None
    status: int = 0
    streamed: bool = False
    aborted: bool = False
    cache: str = "miss"
    error_type: str | None = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = money()
    raw_cost_usd: Decimal = money()
    cost_saved_usd: Decimal = money()
    tokens_saved: int = 0
    provider_cache_saved_usd: Decimal = money()
    optimizations: str = ""  # comma-separated names of what fired
    savings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    request_hash: str | None = None
    conversation_hash: str | None = None
    prompt_text: str | None = None


class RecordView(SimpleNamespace):
    """A usage record's columns read by attribute, without building an ORM row:
    what live listeners (events, metrics) get for every request."""
