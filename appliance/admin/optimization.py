"""A workspace's optimization settings: read the effective values, change some.

PUT takes a JSON merge patch (null puts a setting back to the config default).
Clearing the key cache makes the next request load the new settings.
"""

from __future__ import annotations

from asyncio import to_thread
from typing import cast

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from appliance.admin.schemas import OptimizationPatch, OptimizationSettings
from appliance.runtime import Runtime
from appliance.store import workspace_settings, workspaces
from appliance.store.models import Workspace


def settings_json(workspace: Workspace, runtime: Runtime) -> OptimizationSettings:
    """The effective values, and under "overrides" what the workspace changed."""
    stored = dict(workspace.settings or {})
    shown = {
        **workspace_settings.effective(runtime.settings, stored),
        "overrides": workspace_settings.overrides_of(stored),
    }
    return cast(OptimizationSettings, shown)


class OptimizationController(Controller):
    path = "/workspaces/{workspace_id:str}/settings"
    tags = ["settings"]

    @get()
    async def get_settings(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> OptimizationSettings:
        row = await to_thread(workspaces.get, runtime.engine, workspace_id)
        return settings_json(row, runtime)

    @put()
    async def change_settings(
        self,
        workspace_id: FromPath[str],
        data: JSONBody[OptimizationPatch],
        runtime: NamedDependency[Runtime],
    ) -> OptimizationSettings:
        patch = data.model_dump(exclude_unset=True)
        row = await to_thread(
            workspace_settings.apply_patch, runtime.engine, workspace_id, patch
        )
        runtime.keys.clear()
        return settings_json(row, runtime)
