"""Builds the admin API's Litestar app, served on its own listener.

It shares the proxy's `Runtime` (database, usage writer, key cache, quota
book) and owns none of it: its lifespan only subscribes the event hub and
the metrics to the usage writer, and unsubscribes them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.pydantic import PydanticPlugin

from appliance.admin.auth import TokenGuard, load_or_create_token, token_path
from appliance.admin.error_bodies import HANDLERS
from appliance.admin.events import EventController, EventHub
from appliance.admin.health import HealthController, installed_version
from appliance.admin.keys import KeyController
from appliance.admin.leaks import LeakController
from appliance.admin.metrics import Metrics, metrics_endpoint
from appliance.admin.optimization import OptimizationController
from appliance.admin.subscriptions import SubscriptionController
from appliance.admin.usage import UsageController
from appliance.admin.workspaces import WorkspaceController
from appliance.runtime import Runtime
from appliance.settings import Settings

log = logging.getLogger(__name__)
API_PREFIX = "/admin/v1"
CONTROLLERS = [
    HealthController,
    WorkspaceController,
    SubscriptionController,
    KeyController,
    OptimizationController,
    UsageController,
    EventController,
    LeakController,
]


def create_admin_app(settings: Settings, runtime: Runtime) -> Litestar:
    """The admin app; reads (or first writes) the admin token file."""
    token = load_or_create_token(token_path(settings))
    hub = EventHub()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        detach = [
            runtime.writer.subscribe(hub.publish),
            runtime.writer.subscribe(metrics.observe),
        ]
        try:
            yield
        finally:
            hub.close_all()
            for unsubscribe in detach:
                unsubscribe()

    app = Litestar(
        route_handlers=[
            Router(API_PREFIX, route_handlers=CONTROLLERS),
            metrics_endpoint,
        ],
        dependencies={
            "runtime": Provide(lambda: runtime, sync_to_thread=False),
            "hub": Provide(lambda: hub, sync_to_thread=False),
            "metrics": Provide(lambda: metrics, sync_to_thread=False),
        },
        guards=[TokenGuard(token, not settings.server.metrics_require_token)],
        exception_handlers=HANDLERS,
        plugins=[PydanticPlugin(validate_strict=True)],
        openapi_config=OpenAPIConfig(
            title="Optera admin API", version=installed_version(), path="/schema"
        ),
        lifespan=[lifespan],
        logging_config=None,
    )
    app.state.events = hub
    app.state.metrics = metrics
    return app
