"""The spend reads of the cost spike scan: per tag, per hour and per minute.

Screening sums run in SQLite as floats over many records; the figures of a
flagged tag are summed again exactly, as Decimal, minute by minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from appliance.store.scan_queries import TABLE, Period, read_moment, stored

TAG_COLUMNS = {"feature": "feature_tag", "team": "team_tag", "user": "user_tag"}


@dataclass(frozen=True)
class TagSpend:
    """A tag's spend in the current hour and in its baseline (floats: screening)."""

    workspace_id: str
    tag: str
    now_usd: float
    baseline_usd: float
    baseline_hours: int


@dataclass(frozen=True)
class MinuteSpend:
    minute: datetime
    requests: int
    tokens: int
    usd: Decimal


def tag_spend(
    engine: Engine, dimension: str, baseline_since: datetime, period: Period
) -> Iterator[TagSpend]:
    """Per tag value: spend in `period` and in [baseline_since, period.since),
    with the number of clock hours of the baseline that had any spend."""
    column = TAG_COLUMNS[dimension]
    sql = f"""
        SELECT workspace_id, {column},
            SUM(CASE WHEN created_at >= :since THEN CAST(cost_usd AS REAL)
                ELSE 0 END) AS now_usd,
            SUM(CASE WHEN created_at < :since THEN CAST(cost_usd AS REAL)
                ELSE 0 END) AS baseline_usd,
            COUNT(DISTINCT CASE WHEN created_at < :since
                THEN substr(created_at, 1, 13) END) AS baseline_hours
        FROM {TABLE}
        WHERE created_at >= :baseline_since AND created_at < :until
            AND workspace_id IS NOT NULL AND {column} IS NOT NULL
        GROUP BY workspace_id, {column}
        HAVING now_usd > 0
    """
    binds = {**period.binds(), "baseline_since": stored(baseline_since)}
    with engine.connect() as connection:
        for raw in connection.execute(text(sql), binds):
            yield TagSpend(raw[0], raw[1], raw[2], raw[3], raw[4])


def tag_minutes(
    engine: Engine, dimension: str, workspace_id: str, tag: str, period: Period
) -> list[MinuteSpend]:
    """One tag value's exact spend, requests and tokens per minute of `period`."""
    column = TAG_COLUMNS[dimension]
    sql = f"""
        SELECT substr(created_at, 1, 16) AS minute, COUNT(*),
            SUM(prompt_tokens + completion_tokens), decimal_sum(cost_usd)
        FROM {TABLE}
        WHERE workspace_id = :workspace AND {column} = :tag
            AND created_at >= :since AND created_at < :until
        GROUP BY minute ORDER BY minute
    """
    binds = {**period.binds(), "workspace": workspace_id, "tag": tag}
    with engine.connect() as connection:
        _register_decimal_sum(connection)
        return [
            MinuteSpend(read_moment(m + ":00"), n, tokens, Decimal(usd))
            for m, n, tokens, usd in connection.execute(text(sql), binds)
        ]


def costliest(
    engine: Engine,
    dimension: str,
    workspace_id: str,
    tag: str,
    period: Period,
    *,
    limit: int,
) -> list[str]:
    """Request ids of one tag value's most expensive records in `period`."""
    column = TAG_COLUMNS[dimension]
    sql = f"""
        SELECT request_id FROM {TABLE}
        WHERE workspace_id = :workspace AND {column} = :tag
            AND created_at >= :since AND created_at < :until
        ORDER BY CAST(cost_usd AS REAL) DESC, id LIMIT :limit
    """
    binds = {**period.binds(), "workspace": workspace_id, "tag": tag, "limit": limit}
    with engine.connect() as connection:
        return [raw[0] for raw in connection.execute(text(sql), binds)]


class _DecimalSum:
    """SQLite aggregate: exact sum of Decimal text (SUM would go through floats)."""

    def __init__(self) -> None:
        self.total = Decimal(0)

    def step(self, value: str | None) -> None:
        if value is not None:
            self.total += Decimal(value)

    def finalize(self) -> str:
        return str(self.total)


def _register_decimal_sum(connection: Connection) -> None:
    raw = connection.connection.driver_connection
    raw.create_aggregate("decimal_sum", 1, _DecimalSum)  # type: ignore[union-attr]
