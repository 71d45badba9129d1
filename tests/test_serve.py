"""`optera serve`: what happens once the servers are listening."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace

from appliance.serve import _freeze_startup_heap


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


async def test_startup_objects_are_frozen_once_every_server_listens():
    listening = servers(2)
    live = runtime()
    gc.unfreeze()
    task = asyncio.create_task(_freeze_startup_heap(listening, live))  # type: ignore[arg-type]
    try:
        listening[0].started = True
        await asyncio.sleep(0.25)
        assert not task.done()
        assert gc.get_freeze_count() == 0
        listening[1].started = True
        await asyncio.wait_for(task, 5)
        assert live.pricer.warmed == 1
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


async def test_with_routing_on_the_freeze_waits_for_the_router():
    listening = servers(1)
    live = runtime(routing=True)
    gc.unfreeze()
    task = asyncio.create_task(_freeze_startup_heap(listening, live))  # type: ignore[arg-type]
    try:
        listening[0].started = True
        await asyncio.sleep(0.25)
        assert not task.done()
        live.routers.ready.set()
        await asyncio.wait_for(task, 5)
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
