"""Usage and savings read back for operators: totals, per-optimization, time series.

Dollars are summed as Decimal in Python (SQLite would sum the text as floats),
reading only the columns a report needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from appliance.store.db import session
from appliance.store.models import UsageRecord

OPTIMIZATIONS = (
    "exact_cache",
    "semantic_cache",
    "routing",
    "preamble",
    "repetition",
    "summarize",
    "tools",
    "images",
    "provider_cache",
)
BUCKETS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}
MAX_BUCKETS = 10_000
COLUMNS = (
    UsageRecord.created_at,
    UsageRecord.cache,
    UsageRecord.prompt_tokens,
    UsageRecord.completion_tokens,
    UsageRecord.cost_usd,
    UsageRecord.raw_cost_usd,
    UsageRecord.cost_saved_usd,
    UsageRecord.tokens_saved,
    UsageRecord.savings,
)


def rows(
    engine: Engine,
    workspace_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[Any]:
    """The report columns of the records in [since, until), oldest first."""
    query = select(*COLUMNS)  # type: ignore[call-overload]
    if workspace_id is not None:
        query = query.where(UsageRecord.workspace_id == workspace_id)
    if since is not None:
        query = query.where(UsageRecord.created_at >= as_utc(since))
    if until is not None:
        query = query.where(UsageRecord.created_at < as_utc(until))
    query = query.order_by(UsageRecord.created_at)  # type: ignore[arg-type]
    with session(engine) as db:
        yield from db.exec(query)


def as_utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC; the database holds UTC without an offset."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def summary(
    engine: Engine,
    workspace_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Totals, hit rates and what each optimization saved, dollars as strings."""
    total = _empty_total()
    steps = {
        name: {"requests": 0, "tokens": 0, "usd": Decimal(0)} for name in OPTIMIZATIONS
    }
    hits = {"exact": 0, "semantic": 0}
    for row in rows(engine, workspace_id, since, until):
        _add(total, row)
        if row.cache in hits:
            hits[row.cache] += 1
        _add_steps(steps, row.savings or {})
    requests = total["requests"]
    return {
        **_render(total),
        "cache_hit_rate": _rate(hits["exact"] + hits["semantic"], requests),
        "semantic_hit_rate": _rate(hits["semantic"], requests),
        "by_optimization": {name: _render(step) for name, step in steps.items()},
    }


def series(
    engine: Engine,
    bucket: str,
    since: datetime,
    until: datetime,
    workspace_id: str | None = None,
) -> list[dict[str, Any]]:
    """One point per bucket in [since, until), empty buckets included as zeros."""
    width = BUCKETS[bucket]
    start = floor(as_utc(since), bucket)
    end = as_utc(until)
    points: dict[datetime, dict[str, Any]] = {}
    moment = start
    while moment < end:
        points[moment] = _empty_point()
        moment += width
    for row in rows(engine, workspace_id, start, end):
        point = points.get(floor(as_utc(row.created_at), bucket))
        if point is not None:
            point["requests"] += 1
            point["cost_usd"] += row.cost_usd
            point["cost_saved_usd"] += row.cost_saved_usd
            point["tokens_saved"] += row.tokens_saved
    return [{"t": t.isoformat(), **_render(p)} for t, p in points.items()]


def bucket_count(bucket: str, since: datetime, until: datetime) -> int:
    """How many points a series would hold; callers refuse more than MAX_BUCKETS."""
    span = as_utc(until) - floor(as_utc(since), bucket)
    return max(0, -(-span // BUCKETS[bucket]))


def floor(moment: datetime, bucket: str) -> datetime:
    """The start of the minute, hour or day (UTC) holding `moment`."""
    if bucket == "minute":
        return moment.replace(second=0, microsecond=0)
    if bucket == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _empty_total() -> dict[str, Any]:
    return {
        "requests": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": Decimal(0),
        "raw_cost_usd": Decimal(0),
        "cost_saved_usd": Decimal(0),
        "tokens_saved": 0,
    }


def _empty_point() -> dict[str, Any]:
    return {
        "requests": 0,
        "cost_usd": Decimal(0),
        "cost_saved_usd": Decimal(0),
        "tokens_saved": 0,
    }


def _add(total: dict[str, Any], row: Any) -> None:
    total["requests"] += 1
    total["prompt_tokens"] += row.prompt_tokens
    total["completion_tokens"] += row.completion_tokens
    total["cost_usd"] += row.cost_usd
    total["raw_cost_usd"] += row.raw_cost_usd
    total["cost_saved_usd"] += row.cost_saved_usd
    total["tokens_saved"] += row.tokens_saved


def _add_steps(steps: dict[str, dict[str, Any]], savings: dict[str, Any]) -> None:
    for name, saving in savings.items():
        step = steps.get(name)
        if step is None or not isinstance(saving, dict):
            continue
        step["requests"] += 1
        step["tokens"] += int(saving.get("tokens") or 0)
        step["usd"] += Decimal(str(saving.get("usd") or 0))


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _render(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
