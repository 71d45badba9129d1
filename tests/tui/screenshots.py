"""Saves SVG screenshots of the TUI's main screens, drawn from the fake admin API.

Run from the repository root: `python -m tests.tui.screenshots docs/screenshots`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.conftest import SIZE
from tests.tui.fake_admin import NOW, TOKEN, URL, FakeAdmin
from tui.app import OpteraApp
from tui.client import AdminClient
from tui.screens.new_key import NewKeyDialog

log = logging.getLogger(__name__)
LIVE = (
    {"request_id": "r1", "time": "2025-03-14T15:29:58+00:00"},
    {
        "request_id": "r2",
        "time": "2025-03-14T15:30:01+00:00",
        "model": "gpt-4o",
        "cache": "exact",
        "cost_usd": "0",
        "cost_saved_usd": "0.0125",
    },
    {
        "request_id": "r3",
        "time": "2025-03-14T15:30:02+00:00",
        "workspace_id": "ws_initech",
        "model": "claude-sonnet-4-5",
        "original_model": "claude-sonnet-4-5",
        "cache": "semantic",
        "cost_saved_usd": "0.0210",
    },
    {"request_id": "r4", "time": "2025-03-14T15:30:04+00:00", "status": 429},
)


async def until(pilot: Pilot, check, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    raise RuntimeError("the screen did not fill in time")


def rows(app: OpteraApp, name: str) -> int:
    found = app.screen.query(f"#{name}")
    return found.first(DataTable).row_count if found else 0


async def shoot(out: Path) -> list[Path]:
    fake = FakeAdmin()
    client = AdminClient(URL, lambda: TOKEN, transport=fake.transport())
    app = OpteraApp(client, retry_seconds=0.2, refresh_seconds=60, clock=lambda: NOW)
    saved: list[Path] = []

    def save(name: str) -> None:
        saved.append(Path(app.save_screenshot(f"{name}.svg", str(out))))

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: fake.streams == 1 and rows(app, "optimizations"))
        for event in LIVE:
            fake.push(**event)
        await until(pilot, lambda: rows(app, "recent") == len(LIVE))
        save("overview")
        await pilot.press("2")
        await until(pilot, lambda: rows(app, "workspaces") == 3)
        save("workspaces")
        await pilot.press("s")
        await until(pilot, lambda: bool(app.screen.query("#semantic_cache")))
        save("settings")
        await pilot.press("escape", "k")
        await until(pilot, lambda: rows(app, "keys") == 2)
        save("keys")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, NewKeyDialog))
        save("new-key")
        await pilot.press("escape", "4")
        await until(pilot, lambda: rows(app, "by-feature") == 3)
        app.workspace_id = None
        await pilot.pause(0.3)
        save("tags")
        await pilot.press("5")
        await until(pilot, lambda: rows(app, "leaks") == 2)
        save("leaks")
        fake.down = True
        await pilot.press("1")
        await until(pilot, lambda: not app.link.online)
        await pilot.pause(0.2)
        save("offline")
    return saved


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(out)):
        log.info("saved %s", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
