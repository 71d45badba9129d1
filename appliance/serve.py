"""Runs the proxy (and the admin API, when present) under uvicorn in one process."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from appliance.app import create_app
from appliance.runtime import Runtime
from appliance.settings import Settings

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    # force: an imported library may have configured the root logger already.
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for quiet in ("httpx", "httpcore", "aiohttp"):
        logging.getLogger(quiet).setLevel(logging.WARNING)


async def serve(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM; usage records are flushed before exit."""
    runtime = Runtime.open(settings)
    servers = [
        _server(
            create_app(settings, runtime), settings.server.host, settings.server.port
        )
    ]
    admin = _admin_app(settings, runtime)
    if admin is not None:
        servers.append(
            _server(admin, settings.server.admin_host, settings.server.admin_port)
        )
    log.info(
        "Optera proxy on http://%s:%s (data in %s)",
        settings.server.host,
        settings.server.port,
        settings.data_path,
    )
    watchers = [_close_streams_on_exit(servers, admin)] if admin is not None else []
    try:
        await asyncio.gather(*(server.serve() for server in servers), *watchers)
    finally:
        await runtime.close()


async def _close_streams_on_exit(servers: list[uvicorn.Server], admin: object) -> None:
    """End the admin API's live event streams at shutdown, so that uvicorn does
    not wait its graceful timeout for clients that never leave."""
    # uvicorn signals exit with a plain flag, so there is no event to await.
    while not any(server.should_exit for server in servers):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    admin.state.events.close_all()  # type: ignore[attr-defined]


def _server(app: object, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
        loop="uvloop",
        http="httptools",
    )
    return uvicorn.Server(config)


def _admin_app(settings: Settings, runtime: Runtime) -> object | None:
    try:
        from appliance.admin.app import create_admin_app  # noqa: PLC0415
    except ImportError:
        return None
    return create_admin_app(settings, runtime)
