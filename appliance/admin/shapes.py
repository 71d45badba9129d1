"""The JSON the admin API answers with, built from store rows and live counters.

Quota figures come from the runtime's in-memory book, which is ahead of the
database by the usage records still queued.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from appliance.admin.schemas import QuotaCycle, Subscription, Workspace
from appliance.pipeline.quota import next_period_start, period_of
from appliance.runtime import Runtime
from appliance.store import workspace_settings, workspaces
from appliance.store.models import Workspace as WorkspaceRow


def period_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The quota cycle holding `now`: its calendar month, UTC."""
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    return start, next_period_start(now)


def quota_cycle(workspace: WorkspaceRow, runtime: Runtime) -> QuotaCycle:
    """This cycle's limit, what is used and left, and when it resets."""
    now = datetime.now(UTC)
    limit = workspaces.plan_quota(workspace, runtime.settings.plans)
    used = runtime.quota.used(workspace.id, period_of(now))
    reset = next_period_start(now)
    return {
        "limit": limit,
        "used": used,
        "remaining": max(0, limit - used),
        "reset": reset.isoformat(),
        "reset_epoch": int(reset.timestamp()),
    }


def workspace_json(workspace: WorkspaceRow, runtime: Runtime) -> Workspace:
    """store.workspaces.describe plus this cycle's quota use; `settings` holds the
    workspace's overrides in the flat shape of its /settings resource."""
    cycle = quota_cycle(workspace, runtime)
    shown = {
        **workspaces.describe(workspace, runtime.settings.plans),
        "settings": workspace_settings.overrides_of(workspace.settings or {}),
        "quota_used": cycle["used"],
        "quota_remaining": cycle["remaining"],
        "period": period_of(datetime.now(UTC)),
    }
    return cast(Workspace, shown)


def subscription_json(workspace: WorkspaceRow) -> Subscription:
    """Status and dates; the current period only while the subscription is active."""
    start, end = period_bounds(datetime.now(UTC))
    active = workspace.subscription_status == "active"
    return {
        "workspace_id": workspace.id,
        "status": workspace.subscription_status,
        "started_at": _iso(workspace.subscription_started_at),
        "canceled_at": _iso(workspace.subscription_canceled_at),
        "period_start": start.isoformat() if active else None,
        "period_end": end.isoformat() if active else None,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
