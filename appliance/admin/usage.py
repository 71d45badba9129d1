"""Usage and savings: totals with per-optimization figures, per-tag rows, series.

Every report takes `workspace` (id or name), `since` (inclusive) and `until`
(exclusive) as ISO dates or times; times without an offset are UTC.
"""

from __future__ import annotations

from asyncio import to_thread
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from appliance.admin.schemas import SeriesPoint, UsageSummary
from appliance.admin.shapes import quota_cycle
from appliance.errors import InvalidRequest
from appliance.runtime import Runtime
from appliance.store import usage, usage_reports, workspaces
from appliance.store.models import Workspace

DEFAULT_SPAN = {
    "minute": timedelta(hours=1),
    "hour": timedelta(days=1),
    "day": timedelta(days=30),
}


def parse_moment(name: str, value: str | None) -> datetime | None:
    """An ISO date or time from a query parameter, in UTC."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRequest(
            f"{name} must be an ISO date or time, like 2025-01-31 or "
            "2025-01-31T12:00:00Z."
        ) from None
    return usage_reports.as_utc(moment)


async def find_workspace(runtime: Runtime, ref: str | None) -> Workspace | None:
    if ref is None or not ref.strip():
        return None
    return await to_thread(workspaces.get, runtime.engine, ref.strip())


class UsageController(Controller):
    path = "/usage"
    tags = ["usage"]

    @get("/summary")
    async def summary(
        self,
        runtime: NamedDependency[Runtime],
        workspace: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
    ) -> UsageSummary:
        found = await find_workspace(runtime, workspace)
        start, end = parse_moment("since", since), parse_moment("until", until)
        totals: dict[str, Any] = await to_thread(
            usage_reports.summary,
            runtime.engine,
            found.id if found else None,
            start,
            end,
        )
        if found is not None:
            totals["quota"] = quota_cycle(found, runtime)
        return cast(UsageSummary, totals)

    @get("/by/{dimension:str}")
    async def by_tag(
        self,
        dimension: FromPath[str],
        runtime: NamedDependency[Runtime],
        workspace: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
    ) -> list[dict[str, Any]]:
        if dimension not in usage.TAG_COLUMNS:
            raise InvalidRequest(
                f"Usage is broken down by {', '.join(sorted(usage.TAG_COLUMNS))}."
            )
        found = await find_workspace(runtime, workspace)
        start, end = parse_moment("since", since), parse_moment("until", until)
        return await to_thread(
            usage.totals_by,
            runtime.engine,
            dimension,
            found.id if found else None,
            start,
            end,
        )

    @get("/series")
    async def series(
        self,
        runtime: NamedDependency[Runtime],
        workspace: FromQuery[str | None] = None,
        bucket: FromQuery[str] = "hour",
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
    ) -> list[SeriesPoint]:
        if bucket not in usage_reports.BUCKETS:
            raise InvalidRequest("bucket must be minute, hour or day.")
        found = await find_workspace(runtime, workspace)
        end = parse_moment("until", until) or datetime.now(UTC)
        start = parse_moment("since", since) or end - DEFAULT_SPAN[bucket]
        if start >= end:
            raise InvalidRequest("since must come before until.")
        if usage_reports.bucket_count(bucket, start, end) > usage_reports.MAX_BUCKETS:
            raise InvalidRequest(
                f"That is over {usage_reports.MAX_BUCKETS} {bucket}s; "
                "pick a wider bucket or a shorter span."
            )
        points = await to_thread(
            usage_reports.series,
            runtime.engine,
            bucket,
            start,
            end,
            found.id if found else None,
        )
        return cast(list[SeriesPoint], points)
