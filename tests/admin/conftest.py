"""Admin API fixtures: the admin app alone, and the proxy and admin app together.

`stack` serves both apps from one event loop on loopback, sharing one Runtime,
the way `optera serve` does.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from litestar.testing import TestClient

from appliance.admin.app import create_admin_app
from appliance.admin.auth import token_path
from appliance.admin.events import EventHub
from appliance.app import create_app
from appliance.runtime import Runtime
from appliance.settings import Settings
from tests.conftest import appliance_settings
from tests.fakes.servers import free_port
from tests.fakes.upstream import FakeUpstream


@dataclass
class Admin:
    """The admin app under Litestar's TestClient, with its token."""

    client: TestClient
    settings: Settings
    runtime: Runtime
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.request(
            method, "/admin/v1" + path, headers=headers, **kwargs
        )


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    settings = appliance_settings(tmp_path / "data", "http://127.0.0.1:9")
    runtime = Runtime.open(settings)
    app = create_admin_app(settings, runtime)
    token = token_path(settings).read_text().strip()
    with TestClient(app) as client:
        yield Admin(client, settings, runtime, token)
    runtime.engine.dispose()


class TwoServers:
    """Two uvicorn servers in one thread and one event loop."""

    def __init__(self, *apps: Any) -> None:
        self.ports = [free_port() for _ in apps]
        self.servers = [
            uvicorn.Server(
                uvicorn.Config(
                    app,
                    host="127.0.0.1",
                    port=port,
                    log_config=None,
                    lifespan="on",
                    loop="asyncio",
                    timeout_graceful_shutdown=2,
                )
            )
            for app, port in zip(apps, self.ports, strict=True)
        ]
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def both() -> None:
            await asyncio.gather(*(server.serve() for server in self.servers))

        asyncio.run(both())

    def start(self) -> TwoServers:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not all(server.started for server in self.servers):
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test servers did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Stack:
    """The proxy and the admin API sharing one Runtime, and the fake upstream."""

    proxy_url: str
    admin_url: str
    token: str
    runtime: Runtime
    upstream: FakeUpstream
    hub: EventHub

    def admin(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.admin_url + "/admin/v1",
            headers={"authorization": f"Bearer {self.token}"},
            timeout=10,
            **kwargs,
        )

    def openai(self, key: str, **headers: str) -> openai.OpenAI:
        """The real OpenAI SDK pointed at the proxy with this proxy key."""
        return openai.OpenAI(
            api_key="sk-provider-secret",
            base_url=self.proxy_url + "/v1",
            default_headers={"x-proxy-key": key, **headers},
            max_retries=0,
        )

    def flush(self) -> None:
        """Wait until the usage writer has written what it had queued."""
        deadline = time.monotonic() + 10
        while self.runtime.writer._pending and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)


@pytest.fixture
def stack(tmp_path: Path, upstream) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    fake, fake_server = upstream
    settings = appliance_settings(tmp_path / "data", fake_server.url)
    runtime = Runtime.open(settings)
    proxy = create_app(settings, runtime, owns_runtime=True)
    admin_app = create_admin_app(settings, runtime)
    servers = TwoServers(proxy, admin_app).start()
    token = token_path(settings).read_text().strip()
    proxy_url, admin_url = (f"http://127.0.0.1:{port}" for port in servers.ports)
    yield Stack(proxy_url, admin_url, token, runtime, fake, admin_app.state.events)
    servers.stop()
