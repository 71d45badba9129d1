"""The admin API's request bodies and response shapes (the OpenAPI schema's types).

Request bodies are strict pydantic models; responses are TypedDicts over the
plain dicts the store's `describe` functions build. The TUI may import these.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from appliance.store.workspace_settings import OptimizationPatch

__all__ = [
    "Compression",
    "Deleted",
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "IssuedKey",
    "Key",
    "KeyCreate",
    "KeyRotate",
    "Name",
    "OptimizationPatch",
    "OptimizationSettings",
    "Plan",
    "QuotaCycle",
    "SeriesPoint",
    "StepSaving",
    "Subscription",
    "UsageSummary",
    "Workspace",
    "WorkspaceCreate",
    "WorkspacePatch",
]
Plan = Literal["starter", "growth", "enterprise", "custom"]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WorkspaceCreate(Strict):
    name: Name
    plan: Plan = "starter"
    quota: Annotated[int, Field(ge=0)] | None = None


class WorkspacePatch(Strict):
    """Any of these; `quota` null drops a custom quota, burst nulls use defaults."""

    name: Name | None = None
    plan: Plan | None = None
    quota: Annotated[int, Field(ge=0)] | None = None
    burst_rate: Annotated[float, Field(gt=0)] | None = None
    burst_capacity: Annotated[int, Field(ge=1)] | None = None


class KeyCreate(Strict):
    name: Annotated[str, Field(max_length=200)] | None = None


class KeyRotate(Strict):
    grace_seconds: Annotated[int, Field(ge=0)] = 86_400


class ErrorDetail(TypedDict):
    message: str
    code: str


class ErrorBody(TypedDict):
    error: ErrorDetail


class Health(TypedDict):
    status: str
    version: str


class Workspace(TypedDict):
    id: str
    name: str
    plan: str
    quota: int
    custom_quota: int | None
    burst_rate: float | None
    burst_capacity: int | None
    subscription: str
    subscription_started_at: str | None
    settings: dict[str, object]
    created_at: str | None
    quota_used: int
    quota_remaining: int
    period: str


class Deleted(TypedDict):
    id: str
    deleted: bool


class Subscription(TypedDict):
    workspace_id: str
    status: str
    started_at: str | None
    canceled_at: str | None
    period_start: str | None
    period_end: str | None


class Key(TypedDict):
    id: str
    workspace_id: str
    prefix: str
    name: str | None
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    revoked: bool
    live: bool


class IssuedKey(Key):
    key: str


class Compression(TypedDict):
    preamble: bool
    repetition: bool
    summarize: bool
    tools: bool
    images: bool
    provider_cache_breakpoints: bool


class OptimizationSettings(TypedDict):
    exact_cache: bool
    semantic_cache: bool
    semantic_threshold: float
    routing: bool
    routing_threshold: float
    route_overrides: dict[str, str]
    compression: Compression
    cache_ttl_seconds: int
    store_prompts: bool
    overrides: dict[str, object]


class StepSaving(TypedDict):
    requests: int
    tokens: int
    usd: str


class QuotaCycle(TypedDict):
    limit: int
    used: int
    remaining: int
    reset: str
    reset_epoch: int


class UsageSummary(TypedDict, total=False):
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str
    raw_cost_usd: str
    cost_saved_usd: str
    tokens_saved: int
    cache_hit_rate: float
    semantic_hit_rate: float
    by_optimization: dict[str, StepSaving]
    quota: QuotaCycle


class SeriesPoint(TypedDict):
    t: str
    requests: int
    cost_usd: str
    cost_saved_usd: str
    tokens_saved: int
