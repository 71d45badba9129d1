"""A workspace's subscription: read it, activate it, cancel it.

Only a workspace with an active subscription is served by the proxy; the key
cache is cleared so a change applies to the next request.
"""

from __future__ import annotations

from asyncio import to_thread

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from appliance.admin.schemas import Subscription
from appliance.admin.shapes import subscription_json
from appliance.errors import InvalidRequest
from appliance.runtime import Runtime
from appliance.store import workspaces


class SubscriptionController(Controller):
    path = "/workspaces/{workspace_id:str}/subscription"
    tags = ["subscriptions"]

    @get()
    async def get_subscription(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> Subscription:
        row = await to_thread(workspaces.get, runtime.engine, workspace_id)
        return subscription_json(row)

    @post("/activate", status_code=200)
    async def activate(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> Subscription:
        row = await to_thread(workspaces.activate, runtime.engine, workspace_id)
        runtime.keys.clear()
        return subscription_json(row)

    @post("/cancel", status_code=200)
    async def cancel(
        self, workspace_id: FromPath[str], runtime: NamedDependency[Runtime]
    ) -> Subscription:
        current = await to_thread(workspaces.get, runtime.engine, workspace_id)
        if current.subscription_status == "none":
            raise InvalidRequest(
                f"Workspace {current.id} has no subscription to cancel."
            )
        row = current
        if current.subscription_status != "canceled":
            row = await to_thread(workspaces.cancel, runtime.engine, current.id)
        runtime.keys.clear()
        return subscription_json(row)
