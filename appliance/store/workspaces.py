"""Workspaces, plans and subscriptions: the operations the CLI and admin API share."""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from appliance.errors import InvalidRequest, NotFound
from appliance.settings import PlanSettings
from appliance.store.db import session
from appliance.store.models import ProxyKey, QuotaCounter, Workspace, utcnow
from appliance.store.views import WorkspaceView

PLANS = ("starter", "growth", "enterprise", "custom")
# Bounds that keep a quota within SQLite's integers and a burst bucket finite.
MAX_QUOTA = 10**12
MAX_BURST = 1_000_000.0


def plan_quota(workspace: Workspace, plans: PlanSettings) -> int:
    """The monthly request allowance of the workspace's plan."""
    if workspace.plan == "custom":
        return workspace.custom_quota or 0
    limit = getattr(plans, workspace.plan)
    return workspace.custom_quota if workspace.custom_quota is not None else limit


def to_view(workspace: Workspace, plans: PlanSettings) -> WorkspaceView:
    return WorkspaceView(
        id=workspace.id,
        name=workspace.name,
        plan=workspace.plan,
        quota=plan_quota(workspace, plans),
        burst_rate=workspace.burst_rate,
        burst_capacity=workspace.burst_capacity,
        active=workspace.subscription_status == "active",
        settings=dict(workspace.settings or {}),
    )


def describe(workspace: Workspace, plans: PlanSettings) -> dict[str, Any]:
    """The JSON shape the CLI and admin API show for a workspace."""
    return {
        "id": workspace.id,
        "name": workspace.name,
        "plan": workspace.plan,
        "quota": plan_quota(workspace, plans),
        "custom_quota": workspace.custom_quota,
        "burst_rate": workspace.burst_rate,
        "burst_capacity": workspace.burst_capacity,
        "subscription": workspace.subscription_status,
        "subscription_started_at": _iso(workspace.subscription_started_at),
        "settings": workspace.settings or {},
        "created_at": _iso(workspace.created_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _is_text(value: str) -> bool:
    """False for a string holding surrogates (undecodable bytes of argv)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_plan(plan: str, quota: int | None) -> None:
    """Refuse an unknown plan, and a quota out of range whichever plan it
    overrides: a negative one would refuse every request of the workspace
    with 429, and one past SQLite's integers could not be stored.
    """
    if plan not in PLANS:
        raise InvalidRequest(
            f"Unknown plan {plan!r}; choose one of {', '.join(PLANS)}."
        )
    if plan == "custom" and quota is None:
        raise InvalidRequest("A custom plan needs --quota, a non-negative number.")
    if quota is not None and not 0 <= quota <= MAX_QUOTA:
        raise InvalidRequest(
            "The quota must be a number of requests a month from 0 to "
            f"{MAX_QUOTA:,}, not {quota}."
        )


def check_burst(burst: float) -> None:
    """Refuse a burst limit that would block every request or break the bucket."""
    if not math.isfinite(burst) or not 0 < burst <= MAX_BURST:
        raise InvalidRequest(
            "The burst limit must be a positive number of requests a second, "
            f"at most {MAX_BURST:,.0f}, not {burst:g}."
        )


def create(
    engine: Engine, name: str, plan: str = "starter", quota: int | None = None
) -> Workspace:
    check_plan(plan, quota)
    if not name.strip():
        raise InvalidRequest("A workspace needs a name.")
    if not _is_text(name):
        raise InvalidRequest("A workspace name must be text (valid UTF-8).")
    _check_free_name(engine, name.strip())
    workspace = Workspace(
        id="ws_" + secrets.token_hex(8),
        name=name.strip(),
        plan=plan,
        custom_quota=quota,
    )
    with session(engine) as db:
        db.add(workspace)
        db.commit()
    return workspace


def _check_free_name(engine: Engine, name: str, keep: str | None = None) -> None:
    with session(engine) as db:
        taken = db.exec(select(Workspace).where(Workspace.name == name)).all()
    if any(row.id != keep for row in taken):
        raise InvalidRequest(f"A workspace named {name!r} exists already.")


def get(engine: Engine, ref: str) -> Workspace:
    """A workspace by id, or by name when the name is unique."""
    with session(engine) as db:
        found = db.get(Workspace, ref)
        if found is not None:
            return found
        named = db.exec(select(Workspace).where(Workspace.name == ref)).all()
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise InvalidRequest(f"Several workspaces are named {ref!r}; use the id.")
    raise NotFound(f"No workspace {ref!r}.")


def list_all(engine: Engine) -> list[Workspace]:
    with session(engine) as db:
        return list(
            db.exec(select(Workspace).order_by(col(Workspace.created_at))).all()
        )


def update(engine: Engine, ref: str, **changes: Any) -> Workspace:
    workspace = get(engine, ref)
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
        _check_free_name(engine, changes["name"], keep=workspace.id)
    with session(engine) as db:
        row = db.get(Workspace, workspace.id)
        assert row is not None
        for name, value in changes.items():
            setattr(row, name, value)
        db.add(row)
        db.commit()
        db.refresh(row)
        return row


def set_plan(
    engine: Engine,
    ref: str,
    plan: str,
    quota: int | None = None,
    burst: float | None = None,
) -> Workspace:
    check_plan(plan, quota)
    changes: dict[str, Any] = {"plan": plan, "custom_quota": quota}
    if burst is not None:
        check_burst(burst)
        changes["burst_rate"] = float(burst)
        changes["burst_capacity"] = max(1, int(burst * 4))
    return update(engine, ref, **changes)


def activate(engine: Engine, ref: str) -> Workspace:
    return update(
        engine,
        ref,
        subscription_status="active",
        subscription_started_at=utcnow(),
        subscription_canceled_at=None,
    )


def cancel(engine: Engine, ref: str) -> Workspace:
    return update(
        engine, ref, subscription_status="canceled", subscription_canceled_at=utcnow()
    )


def delete(engine: Engine, ref: str) -> None:
    workspace = get(engine, ref)
    with session(engine) as db:
        for key in db.exec(
            select(ProxyKey).where(ProxyKey.workspace_id == workspace.id)
        ):
            db.delete(key)
        for counter in db.exec(
            select(QuotaCounter).where(QuotaCounter.workspace_id == workspace.id)
        ):
            db.delete(counter)
        row = db.get(Workspace, workspace.id)
        db.delete(row)
        db.commit()
