"""Workspaces: list, create, read, change plan, quota and burst limit, delete.

Changes clear the proxy's key cache so they apply to the next request.
"""

from __future__ import annotations

from asyncio import to_thread
from typing import Any

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from appliance.admin.schemas import Deleted, Workspace, WorkspaceCreate, WorkspacePatch
from appliance.admin.shapes import workspace_json
from appliance.errors import InvalidRequest
from appliance.runtime import Runtime
from appliance.store import workspaces


class WorkspaceController(Controller):
    path = "/workspaces"
    tags = ["workspaces"]

    @get()
    async def list_workspaces(
        self, runtime: NamedDependency[Runtime]
    ) -> list[Workspace]:
        rows = await to_thread(workspaces.list_all, runtime.engine)
        return [workspace_json(row, runtime) for row in rows]

    @post()
    async def create_workspace(
        self, data: JSONBody[WorkspaceCreate], runtime: NamedDependency[Runtime]
    ) -> Workspace:
        if data.plan == "custom" and data.quota is None:
            raise InvalidRequest("A custom plan needs a quota.")
        row = await to_thread(
            workspaces.create, runtime.engine, data.name, data.plan, data.quota
        )
        return workspace_json(row, runtime)

    @get("/{workspace_id:str}")
    async def get_workspace(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> Workspace:
        row = await to_thread(workspaces.get, runtime.engine, workspace_id)
        return workspace_json(row, runtime)

    @patch("/{workspace_id:str}")
    async def change_workspace(
        self,
        workspace_id: FromPath[str],
        data: JSONBody[WorkspacePatch],
        runtime: NamedDependency[Runtime],
    ) -> Workspace:
        current = await to_thread(workspaces.get, runtime.engine, workspace_id)
        changes = plan_changes(current.plan, current.custom_quota, data)
        row = await to_thread(workspaces.update, runtime.engine, current.id, **changes)
        runtime.keys.clear()
        return workspace_json(row, runtime)

    @delete("/{workspace_id:str}", status_code=200)
    async def delete_workspace(
        self,
        workspace_id: FromPath[str],
        runtime: NamedDependency[Runtime],
        confirm: FromQuery[str | None] = None,
    ) -> Deleted:
        current = await to_thread(workspaces.get, runtime.engine, workspace_id)
        if confirm != current.id:
            raise InvalidRequest(
                f"Deleting a workspace needs ?confirm={current.id} (its id)."
            )
        await to_thread(workspaces.delete, runtime.engine, current.id)
        await runtime.caches.forget_workspace(current.id)
        runtime.keys.clear()
        return {"id": current.id, "deleted": True}


def plan_changes(
    plan: str, custom_quota: int | None, data: WorkspacePatch
) -> dict[str, Any]:
    """The columns a PATCH changes; a new named plan drops an old custom quota."""
    sent = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "name" in sent:
        if data.name is None or not data.name.strip():
            raise InvalidRequest("A workspace needs a name.")
        changes["name"] = data.name.strip()
    new_plan = data.plan or plan
    quota = sent.get("quota", custom_quota)
    if "plan" in sent and "quota" not in sent and new_plan != "custom":
        quota = None
    if "plan" in sent or "quota" in sent:
        workspaces.check_plan(new_plan, quota)
        changes["plan"], changes["custom_quota"] = new_plan, quota
    for name in ("burst_rate", "burst_capacity"):
        if name in sent:
            changes[name] = sent[name]
    return changes
