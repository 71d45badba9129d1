"""GET /admin/v1/health: the admin API answers, and which version runs."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from litestar import Controller, get

from appliance.admin.schemas import Health


def installed_version() -> str:
    try:
        return version("optera")
    except PackageNotFoundError:
        return "unknown"


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get(sync_to_thread=False)
    def health(self) -> Health:
        return {"status": "ok", "version": installed_version()}
