"""What the admin API returns, as typed values: money as Decimal, times as datetime.

Parsing is lenient on purpose: a field the server adds later is ignored and a
field it leaves out takes an empty default, so an older TUI keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

TAG_KINDS = ("feature", "team", "user")


def money(value: Any) -> Decimal:
    """Dollars from a JSON string or number; never through a binary float."""
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def count(value: Any) -> int:
    return int(value or 0)


def rate(value: Any) -> float:
    return float(value or 0.0)


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    plan: str
    quota: int
    custom_quota: int | None
    burst_rate: float | None
    burst_capacity: int | None
    subscription: str
    subscription_started_at: datetime | None
    settings: dict[str, Any]
    created_at: datetime | None
    quota_used: int
    quota_remaining: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Workspace:
        subscription = data.get("subscription") or "none"
        if isinstance(subscription, dict):
            subscription = subscription.get("status") or "none"
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            plan=str(data.get("plan") or ""),
            quota=count(data.get("quota")),
            custom_quota=data.get("custom_quota"),
            burst_rate=data.get("burst_rate"),
            burst_capacity=data.get("burst_capacity"),
            subscription=str(subscription),
            subscription_started_at=moment(data.get("subscription_started_at")),
            settings=dict(data.get("settings") or {}),
            created_at=moment(data.get("created_at")),
            quota_used=count(data.get("quota_used")),
            quota_remaining=count(data.get("quota_remaining")),
        )


@dataclass(frozen=True)
class ProxyKey:
    id: str
    workspace_id: str
    prefix: str
    name: str | None
    created_at: datetime | None
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool
    live: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProxyKey:
        return cls(
            id=str(data["id"]),
            workspace_id=str(data.get("workspace_id") or ""),
            prefix=str(data.get("prefix") or ""),
            name=data.get("name"),
            created_at=moment(data.get("created_at")),
            last_used_at=moment(data.get("last_used_at")),
            expires_at=moment(data.get("expires_at")),
            revoked=bool(data.get("revoked")),
            live=bool(data.get("live", not data.get("revoked"))),
        )


@dataclass(frozen=True)
class IssuedKey:
    """A proxy key with its plaintext, which the API shows exactly once."""

    key: ProxyKey
    plaintext: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IssuedKey:
        return cls(key=ProxyKey.from_json(data), plaintext=str(data["key"]))


@dataclass(frozen=True)
class Summary:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    raw_cost_usd: Decimal = Decimal(0)
    cost_saved_usd: Decimal = Decimal(0)
    tokens_saved: int = 0
    cache_hit_rate: float = 0.0
    semantic_hit_rate: float = 0.0
    by_optimization: dict[str, Any] = field(default_factory=dict)
    quota: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        return cls(
            requests=count(data.get("requests")),
            prompt_tokens=count(data.get("prompt_tokens")),
            completion_tokens=count(data.get("completion_tokens")),
            cost_usd=money(data.get("cost_usd")),
            raw_cost_usd=money(data.get("raw_cost_usd")),
            cost_saved_usd=money(data.get("cost_saved_usd")),
            tokens_saved=count(data.get("tokens_saved")),
            cache_hit_rate=rate(data.get("cache_hit_rate")),
            semantic_hit_rate=rate(data.get("semantic_hit_rate")),
            by_optimization=dict(data.get("by_optimization") or {}),
            quota=dict(data.get("quota") or {}),
        )

    def with_event(self, event: RequestEvent) -> Summary:
        """These totals advanced by one live request (hit rates wait for a load)."""
        return replace(
            self,
            requests=self.requests + 1,
            prompt_tokens=self.prompt_tokens + event.prompt_tokens,
            completion_tokens=self.completion_tokens + event.completion_tokens,
            tokens_saved=self.tokens_saved + event.tokens_saved,
            cost_usd=self.cost_usd + event.cost_usd,
            raw_cost_usd=self.raw_cost_usd + event.cost_usd + event.cost_saved_usd,
            cost_saved_usd=self.cost_saved_usd + event.cost_saved_usd,
        )


@dataclass
class TagRow:
    """Usage of one feature, team or user tag; mutable so live events add to it."""

    tag: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_saved: int = 0
    cost_usd: Decimal = Decimal(0)
    raw_cost_usd: Decimal = Decimal(0)
    cost_saved_usd: Decimal = Decimal(0)
    cache_hits: int = 0

    @classmethod
    def from_json(cls, kind: str, data: dict[str, Any]) -> TagRow:
        return cls(
            tag=str(data.get(kind) or data.get("tag") or "(untagged)"),
            requests=count(data.get("requests")),
            prompt_tokens=count(data.get("prompt_tokens")),
            completion_tokens=count(data.get("completion_tokens")),
            tokens_saved=count(data.get("tokens_saved")),
            cost_usd=money(data.get("cost_usd")),
            raw_cost_usd=money(data.get("raw_cost_usd")),
            cost_saved_usd=money(data.get("cost_saved_usd")),
            cache_hits=count(data.get("cache_hits")),
        )


@dataclass(frozen=True)
class SeriesPoint:
    t: datetime | None
    requests: int
    cost_usd: Decimal
    cost_saved_usd: Decimal
    tokens_saved: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeriesPoint:
        return cls(
            t=moment(data.get("t")),
            requests=count(data.get("requests")),
            cost_usd=money(data.get("cost_usd")),
            cost_saved_usd=money(data.get("cost_saved_usd")),
            tokens_saved=count(data.get("tokens_saved")),
        )


@dataclass(frozen=True)
class Leak:
    id: str
    workspace_id: str | None
    pattern: str
    feature_tag: str | None
    team_tag: str | None
    user_tag: str | None
    window_start: datetime | None
    window_end: datetime | None
    count: int
    tokens_wasted: int
    usd_wasted: Decimal
    evidence: Any
    status: str
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Leak:
        return cls(
            id=str(data["id"]),
            workspace_id=data.get("workspace_id"),
            pattern=str(data.get("pattern") or ""),
            feature_tag=data.get("feature_tag"),
            team_tag=data.get("team_tag"),
            user_tag=data.get("user_tag"),
            window_start=moment(data.get("window_start")),
            window_end=moment(data.get("window_end")),
            count=count(data.get("count")),
            tokens_wasted=count(data.get("tokens_wasted")),
            usd_wasted=money(data.get("usd_wasted")),
            evidence=data.get("evidence"),
            status=str(data.get("status") or "open"),
            first_seen=moment(data.get("first_seen")),
            last_seen=moment(data.get("last_seen")),
        )


@dataclass(frozen=True)
class RequestEvent:
    """One completed request from the live event stream."""

    request_id: str
    time: datetime | None
    workspace_id: str | None
    key_id: str | None
    feature_tag: str | None
    team_tag: str | None
    user_tag: str | None
    model: str
    original_model: str
    status: int
    cache: str
    prompt_tokens: int
    completion_tokens: int
    tokens_saved: int
    cost_usd: Decimal
    cost_saved_usd: Decimal
    latency_ms: float
    optimizations: list[str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestEvent:
        optimizations = data.get("optimizations") or []
        if isinstance(optimizations, dict):
            optimizations = [name for name, on in optimizations.items() if on]
        return cls(
            request_id=str(data.get("request_id") or ""),
            time=moment(data.get("time")),
            workspace_id=data.get("workspace_id"),
            key_id=data.get("key_id"),
            feature_tag=data.get("feature_tag"),
            team_tag=data.get("team_tag"),
            user_tag=data.get("user_tag"),
            model=str(data.get("model") or ""),
            original_model=str(data.get("original_model") or data.get("model") or ""),
            status=count(data.get("status")),
            cache=str(data.get("cache") or "miss"),
            prompt_tokens=count(data.get("prompt_tokens")),
            completion_tokens=count(data.get("completion_tokens")),
            tokens_saved=count(data.get("tokens_saved")),
            cost_usd=money(data.get("cost_usd")),
            cost_saved_usd=money(data.get("cost_saved_usd")),
            latency_ms=rate(data.get("latency_ms")),
            optimizations=[str(name) for name in optimizations],
        )

    def tag(self, kind: str) -> str | None:
        tags = {"feature": self.feature_tag, "team": self.team_tag}
        tags["user"] = self.user_tag
        return tags[kind]

    @property
    def cache_hit(self) -> bool:
        return self.cache in ("exact", "semantic")
