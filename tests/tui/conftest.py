"""Fixtures for the TUI: a fake admin API and an app wired to it, plus waiting."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from tests.tui.fake_admin import NOW, TOKEN, URL, FakeAdmin
from tui.app import OpteraApp
from tui.client import AdminClient

SIZE = (120, 36)
SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
def make_app(fake: FakeAdmin) -> Callable[[], OpteraApp]:
    def make() -> OpteraApp:
        client = AdminClient(URL, lambda: TOKEN, transport=fake.transport())
        return OpteraApp(
            client, retry_seconds=0.1, refresh_seconds=60, clock=lambda: NOW
        )

    return make


async def wait_for(
    pilot: Pilot, check: Callable[[], object], timeout: float = 5.0
) -> None:
    """Let the app run until `check()` is true; fail with the screen if it never is."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out; screen was:\n" + screen_text(pilot.app))
        await pilot.pause(0.05)


def screen_text(app: App) -> str:
    """The current screen as plain text, the way a terminal would show it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        legacy_windows=False,
    )
    # Textual's own export_screenshot renders the same compositor update to SVG.
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    console.print(update)
    return console.export_text()


def matches_snapshot(name: str, text: str) -> bool:
    """Compare with the stored golden text; OPTERA_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("OPTERA_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        raise AssertionError(
            f"no snapshot {path}; make it with OPTERA_UPDATE_SNAPSHOTS=1"
        )
    return path.read_text(encoding="utf-8") == text


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await asyncio.sleep(0.05)
    await pilot.pause()
