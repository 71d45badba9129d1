"""Shared fixtures: a fake upstream, an appliance pointed at it, a workspace key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest

from appliance.app import create_app
from appliance.runtime import Runtime
from appliance.settings import Settings, load_settings
from appliance.store import keys, usage, workspaces
from tests.fakes.servers import ThreadServer
from tests.fakes.upstream import FakeUpstream


@dataclass
class Appliance:
    url: str
    settings: Settings
    runtime: Runtime
    upstream: FakeUpstream
    clients: list = field(default_factory=list)

    def track(self, client):  # type: ignore[no-untyped-def]
        """Close this SDK client when the test ends (no socket left to the GC)."""
        self.clients.append(client)
        return client

    def openai(self, key: str, **headers: str) -> openai.OpenAI:
        """The real OpenAI SDK pointed at the proxy with `key`, closed at the end."""
        return self.track(
            openai.OpenAI(
                api_key="sk-x",
                base_url=self.url + "/v1",
                default_headers={"x-proxy-key": key, **headers},
                max_retries=0,
            )
        )

    def workspace(
        self, name: str = "acme", plan: str = "starter", active: bool = True
    ) -> tuple[str, str]:
        """A new workspace and a live key for it: (workspace id, key plaintext)."""
        engine = self.runtime.engine
        ws = workspaces.create(engine, name, plan)
        if active:
            workspaces.activate(engine, ws.id)
        _, plaintext = keys.issue(engine, ws.id)
        return ws.id, plaintext

    def records(self):  # type: ignore[no-untyped-def]
        return usage.records(self.runtime.engine)

    def flush(self) -> None:
        """Wait until the usage writer has written what it had queued."""
        deadline = time.monotonic() + 10
        while self.runtime.writer._pending and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)


@pytest.fixture
def upstream() -> Iterator[tuple[FakeUpstream, ThreadServer]]:
    fake = FakeUpstream()
    server = ThreadServer(fake).start()
    yield fake, server
    server.stop()


def appliance_settings(data_dir: Path, upstream_url: str, **sections: dict) -> Settings:
    settings = load_settings(None, env={})
    raw = settings.model_dump()
    raw["server"]["data_dir"] = str(data_dir)
    raw["upstream"]["openai_base_url"] = upstream_url + "/v1"
    raw["upstream"]["anthropic_base_url"] = upstream_url + "/v1"
    # Routing picks its model by content and the semantic cache loads a model:
    # tests of those features switch them on, the others keep the plain path.
    raw["routing"]["enabled"] = False
    raw["semantic"]["enabled"] = False
    for section, values in sections.items():
        raw.setdefault(section, {}).update(values)
    return Settings.model_validate(raw)


@pytest.fixture
def appliance_factory(tmp_path: Path, upstream):  # type: ignore[no-untyped-def]
    fake, fake_server = upstream
    started: list[ThreadServer] = []
    made: list[Appliance] = []

    def make(**sections: dict) -> Appliance:
        settings = appliance_settings(
            tmp_path / f"data{len(started)}", fake_server.url, **sections
        )
        runtime = Runtime.open(settings)
        server = ThreadServer(create_app(settings, runtime, owns_runtime=True)).start()
        started.append(server)
        made.append(Appliance(server.url, settings, runtime, fake))
        return made[-1]

    yield make
    for appliance in made:
        for client in appliance.clients:
            client.close()
    for server in started:
        server.stop()


@pytest.fixture
def appliance(appliance_factory) -> Appliance:  # type: ignore[no-untyped-def]
    return appliance_factory()
