"""`optera serve`: what happens once the servers are listening."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from appliance.serve import _freeze_startup_heap
from tests.fakes.servers import free_port


class Pricer:
    def __init__(self) -> None:
        self.warmed = 0

    def warm(self) -> None:
        self.warmed += 1


def servers(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(started=False, should_exit=False) for _ in range(count)]


def runtime(routing: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        pricer=Pricer(),
        settings=SimpleNamespace(routing=SimpleNamespace(enabled=routing)),
        embedder=object(),
        routers=SimpleNamespace(ready=asyncio.Event()),
    )


@pytest.mark.parametrize("last", ["a server", "the router"])
async def test_startup_objects_are_frozen_once_startup_is_done(last):
    listening = servers(2)
    live = runtime(routing=True)

    def finish() -> None:
        if last == "a server":
            listening[1].started = True
        else:
            live.routers.ready.set()

    listening[0].started = True
    if last == "a server":
        live.routers.ready.set()
    else:
        listening[1].started = True
    gc.unfreeze()
    task = asyncio.create_task(_freeze_startup_heap(listening, live))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.25)
        assert not task.done()
        assert gc.get_freeze_count() == 0
        finish()
        await asyncio.wait_for(task, 5)
        assert live.pricer.warmed == 1
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


async def test_nothing_is_frozen_when_the_servers_stop_before_listening():
    stopping = servers(1)
    stopping[0].should_exit = True
    live = runtime(routing=True)
    gc.unfreeze()
    await asyncio.wait_for(_freeze_startup_heap(stopping, live), 5)  # type: ignore[arg-type]
    assert live.pricer.warmed == 0
    assert gc.get_freeze_count() == 0


def test_the_server_runs_on_uvloop(monkeypatch):
    import uvloop  # noqa: PLC0415

    from appliance import serve as serving  # noqa: PLC0415

    loops = []

    async def fake_serve(settings: object) -> None:
        loops.append(type(asyncio.get_running_loop()))

    monkeypatch.setattr(serving, "serve", fake_serve)
    serving.run(None)  # type: ignore[arg-type]
    assert loops == [uvloop.Loop]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_closes_the_runtime_and_exits_cleanly(tmp_path, stop):
    # systemd stops the service with SIGTERM: the queued usage records must be
    # flushed (the runtime closed) before the process ends, not cut off.
    config = tmp_path / "optera.toml"
    config.write_text("[routing]\nenabled = false\n[semantic]\nenabled = false\n")
    port, admin = free_port(), free_port()
    env = {
        **os.environ,
        "OPTERA_CONFIG": str(config),
        "OPTERA_DATA_DIR": str(tmp_path / "data"),
        "OPTERA_PORT": str(port),
        "OPTERA_ADMIN_PORT": str(admin),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "appliance.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", admin)) == 0:
                    break
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.1)
        process.send_signal(stop)
        _, log = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, log
    assert "runtime closed" in log
