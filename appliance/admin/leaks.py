"""Leak findings from the scheduled scans: list them, mark one resolved."""

from __future__ import annotations

from asyncio import to_thread
from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from appliance.errors import InvalidRequest
from appliance.runtime import Runtime
from appliance.store import findings, workspaces

STATUSES = ("open", "resolved", "all")


class LeakController(Controller):
    path = "/leaks"
    tags = ["leaks"]

    @get()
    async def list_leaks(
        self,
        runtime: NamedDependency[Runtime],
        workspace: FromQuery[str | None] = None,
        status: FromQuery[str] = "open",
    ) -> list[dict[str, Any]]:
        """Findings, most recently seen first; `status` is open, resolved or all."""
        if status not in STATUSES:
            raise InvalidRequest("status must be open, resolved or all.")
        workspace_id = None
        if workspace:
            found = await to_thread(workspaces.get, runtime.engine, workspace)
            workspace_id = found.id
        rows = await to_thread(
            findings.list_findings,
            runtime.engine,
            workspace_id,
            None if status == "all" else status,
        )
        return [findings.describe(row) for row in rows]

    @post("/{finding_id:int}/resolve", status_code=200)
    async def resolve_leak(
        self, finding_id: FromPath[int], runtime: NamedDependency[Runtime]
    ) -> dict[str, Any]:
        row = await to_thread(findings.resolve, runtime.engine, finding_id)
        return findings.describe(row)
