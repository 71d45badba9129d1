"""Quota step: the per-key burst limit, then the workspace's monthly quota.

The count is kept in memory and checked and raised with no await between,
so concurrent requests can never pass the quota together; the usage writer
persists it with each record. One process serves a database.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from appliance.errors import BurstLimited, QuotaExceeded
from appliance.pipeline.context import Exchange, Next, QuotaState, Reply
from appliance.settings import BurstSettings
from appliance.store import usage


def period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def next_period_start(moment: datetime) -> datetime:
    if moment.month == 12:
        return datetime(moment.year + 1, 1, 1, tzinfo=UTC)
    return datetime(moment.year, moment.month + 1, 1, tzinfo=UTC)


class Month:
    """The calendar month (UTC) a moment falls in, worked out again only when
    the clock leaves the last one: the quota step asks on every request."""

    def __init__(self) -> None:
        self.period = ""
        self._starts = self._ends = 0.0

    def at(self, now: float) -> tuple[str, int]:
        """The month's period name and the epoch second the next one starts."""
        if not self._starts <= now < self._ends:
            moment = datetime.fromtimestamp(now, UTC)
            self.period = period_of(moment)
            self._starts = datetime(
                moment.year, moment.month, 1, tzinfo=UTC
            ).timestamp()
            self._ends = next_period_start(moment).timestamp()
        return self.period, int(self._ends)


class QuotaBook:
    """Requests counted per workspace and calendar month (UTC)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._counts: dict[tuple[str, str], int] = {}

    def used(self, workspace_id: str, period: str) -> int:
        key = (workspace_id, period)
        if key not in self._counts:
            self._counts[key] = usage.quota_count(self._engine, workspace_id, period)
        return self._counts[key]

    def take(self, workspace_id: str, period: str, limit: int) -> int | None:
        """Count one request; the remaining allowance, or None when it is spent."""
        used = self.used(workspace_id, period)
        if used >= limit:
            return None
        self._counts[(workspace_id, period)] = used + 1
        return limit - used - 1


class TokenBucket:
    def __init__(self, rate: float, capacity: int) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is due."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class BurstLimiter:
    """One token bucket per proxy key."""

    def __init__(self, defaults: BurstSettings) -> None:
        self._defaults = defaults
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key_id: str, rate: float | None, capacity: int | None) -> float:
        rate = rate or self._defaults.rate_per_second
        capacity = capacity or self._defaults.capacity
        bucket = self._buckets.get(key_id)
        if bucket is None or bucket.rate != rate or bucket.capacity != capacity:
            bucket = self._buckets[key_id] = TokenBucket(rate, capacity)
        return bucket.take()


class QuotaStep:
    def __init__(self, book: QuotaBook, burst: BurstLimiter) -> None:
        self._book = book
        self._burst = burst
        self._month = Month()

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        assert ex.workspace is not None and ex.key is not None
        now = time.time()
        period, reset = self._month.at(now)
        limit = ex.workspace.quota
        used = self._book.used(ex.workspace.id, period)
        ex.quota = QuotaState(
            limit=limit, remaining=max(0, limit - used), reset_epoch=reset
        )
        wait = self._burst.take(
            ex.key.id, ex.workspace.burst_rate, ex.workspace.burst_capacity
        )
        if wait > 0:
            raise BurstLimited(
                "Burst limit reached for this proxy key; slow down and retry.",
                headers={"retry-after": str(max(1, math.ceil(wait)))},
            )
        remaining = self._book.take(ex.workspace.id, period, limit)
        if remaining is None:
            raise QuotaExceeded(
                f"Monthly quota of {limit} requests used up; "
                "it resets at the next month.",
                headers={"retry-after": str(max(1, reset - int(now)))},
            )
        ex.quota.remaining = remaining
        ex.counted_period = period
        return await call_next(ex)
