"""Runs the proxy (and the admin API, when present) under uvicorn in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Iterator

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
    hide_websocket_queries()


def hide_websocket_queries() -> None:
    """uvicorn logs a WebSocket handshake with its query string, even with its
    access log off, and a caller may put a key there (Azure's realtime API
    takes `?api-key=`): the query string is cut from those lines."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _WebSocketQueries) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(_WebSocketQueries())


class _WebSocketQueries(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if "WebSocket %s" in str(record.msg) and isinstance(args, tuple):
            record.args = tuple(
                _no_query(arg) if index == 1 else arg for index, arg in enumerate(args)
            )
        return True


def _no_query(path: object) -> object:
    text = str(path)
    return text.partition("?")[0] + "?..." if "?" in text else path


def run(settings: Settings) -> None:
    """Serve on uvloop when it is installed (uvicorn[standard] brings it), as
    `uvicorn.run` would: `asyncio.run` makes the pure-Python loop, which cost
    about a third of a relayed request's CPU."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve(settings))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return None
    return uvloop.new_event_loop


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
    watchers = [_freeze_startup_heap(servers, runtime)]
    if admin is not None:
        watchers.append(_close_streams_on_exit(servers, admin))
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, _stop, servers, sig)
    try:
        await asyncio.gather(*(server.serve() for server in servers), *watchers)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        await runtime.close()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop(servers: list[uvicorn.Server], sig: int) -> None:
    """One signal stops every server; a second SIGINT stops them at once."""
    for server in servers:
        server.handle_exit(sig, None)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to `serve`. uvicorn's own handling
    gives each signal to the last server started only, and re-raises SIGTERM
    once that server stops, which killed the process before the runtime could
    flush the usage records still queued."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _freeze_startup_heap(servers: list[uvicorn.Server], runtime: Runtime) -> None:
    """Once every server listens and the router is built, take what startup
    made (modules, price data, lexicons, the router: a few hundred thousand
    objects that live as long as the process) out of the garbage collector's
    reach. A full collection then walks only what requests made since, instead
    of stalling every request in flight for 100 ms or more each time it runs."""
    while not _started(servers, runtime):
        if any(server.should_exit for server in servers):
            return
        await asyncio.sleep(0.1)
    await asyncio.to_thread(runtime.pricer.warm)
    gc.collect()
    gc.freeze()
    log.debug("%d startup objects frozen", gc.get_freeze_count())


def _started(servers: list[uvicorn.Server], runtime: Runtime) -> bool:
    routing = runtime.settings.routing.enabled and runtime.embedder is not None
    return all(server.started for server in servers) and (
        not routing or runtime.routers.ready.is_set()
    )


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
        http="httptools",
    )
    return _Server(config)


def _admin_app(settings: Settings, runtime: Runtime) -> object | None:
    try:
        from appliance.admin.app import create_admin_app  # noqa: PLC0415
    except ImportError:
        return None
    return create_admin_app(settings, runtime)
