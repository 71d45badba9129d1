"""Usage and savings read back for operators: totals, per-optimization, time series.

Dollars are summed as Decimal in Python (SQLite would sum the text as floats).
Reports read only the columns they need, as the raw text SQLite holds, so no
row objects are built. They still scan every record in the window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.engine import Engine

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
# Stored times read "YYYY-MM-DD HH:MM:SS.ffffff"; a bucket is a prefix of that.
BUCKET_PREFIX = {"minute": 16, "hour": 13, "day": 10}
MAX_BUCKETS = 10_000
FETCH_BATCH = 5_000
Row = Sequence[Any]


def rows(
    engine: Engine,
    columns: Sequence[Any],
    workspace_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Iterator[Row]:
    """`columns` of the records in [since, until), as the database holds them."""
    raw = [type_coerce(column, String) for column in columns]
    query = select(*raw)
    if workspace_id is not None:
        query = query.where(UsageRecord.workspace_id == workspace_id)  # type: ignore[arg-type]
    if since is not None:
        query = query.where(UsageRecord.created_at >= as_utc(since))  # type: ignore[arg-type]
    if until is not None:
        query = query.where(UsageRecord.created_at < as_utc(until))  # type: ignore[arg-type]
    with engine.connect() as connection:
        result = connection.execute(query)
        while batch := result.fetchmany(FETCH_BATCH):
            yield from batch


def as_utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC; the database holds UTC without an offset."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


SUMMARY_COLUMNS = (
    UsageRecord.cache,
    UsageRecord.prompt_tokens,
    UsageRecord.completion_tokens,
    UsageRecord.cost_usd,
    UsageRecord.raw_cost_usd,
    UsageRecord.cost_saved_usd,
    UsageRecord.tokens_saved,
    UsageRecord.savings,
)


def summary(
    engine: Engine,
    workspace_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Totals, hit rates and what each optimization saved, dollars as strings."""
    total = _empty_total()
    steps = {name: _empty_step() for name in OPTIMIZATIONS}
    hits = {"exact": 0, "semantic": 0}
    for cache, prompt, completion, cost, raw, saved, tokens, savings in rows(
        engine, SUMMARY_COLUMNS, workspace_id, since, until
    ):
        total["requests"] += 1
        total["prompt_tokens"] += int(prompt)
        total["completion_tokens"] += int(completion)
        total["cost_usd"] += Decimal(cost)
        total["raw_cost_usd"] += Decimal(raw)
        total["cost_saved_usd"] += Decimal(saved)
        total["tokens_saved"] += int(tokens)
        if cache in hits:
            hits[cache] += 1
        if savings and savings != "{}":
            _add_steps(steps, json.loads(savings))
    requests = total["requests"]
    return {
        **_render(total),
        "cache_hit_rate": _rate(hits["exact"] + hits["semantic"], requests),
        "semantic_hit_rate": _rate(hits["semantic"], requests),
        "by_optimization": {name: _render(step) for name, step in steps.items()},
    }


SERIES_COLUMNS = (
    UsageRecord.created_at,
    UsageRecord.cost_usd,
    UsageRecord.cost_saved_usd,
    UsageRecord.tokens_saved,
)


def series(
    engine: Engine,
    bucket: str,
    since: datetime,
    until: datetime,
    workspace_id: str | None = None,
) -> list[dict[str, Any]]:
    """One point per bucket in [since, until), empty buckets included as zeros."""
    width, cut = BUCKETS[bucket], BUCKET_PREFIX[bucket]
    start, end = floor(as_utc(since), bucket), as_utc(until)
    points: dict[str, tuple[datetime, dict[str, Any]]] = {}
    moment = start
    while moment < end:
        points[_stored(moment)[:cut]] = (moment, _empty_point())
        moment += width
    for created, cost, saved, tokens in rows(
        engine, SERIES_COLUMNS, workspace_id, start, end
    ):
        found = points.get(created[:cut])
        if found is not None:
            point = found[1]
            point["requests"] += 1
            point["cost_usd"] += Decimal(cost)
            point["cost_saved_usd"] += Decimal(saved)
            point["tokens_saved"] += int(tokens)
    return [{"t": t.isoformat(), **_render(p)} for t, p in points.values()]


def _stored(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


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


def _empty_step() -> dict[str, Any]:
    return {"requests": 0, "tokens": 0, "usd": Decimal(0)}


def _empty_point() -> dict[str, Any]:
    return {
        "requests": 0,
        "cost_usd": Decimal(0),
        "cost_saved_usd": Decimal(0),
        "tokens_saved": 0,
    }


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
