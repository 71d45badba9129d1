"""The TUI against a real appliance on loopback: proxy and admin API sharing one
Runtime, the fake upstream behind them, and the openai SDK as the caller.

Through the TUI: create a workspace, activate it, issue a key (copied with the
copy action); then a request with that key shows up in the live views.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import openai
import pytest
from textual.widgets import DataTable

from appliance.admin.app import create_admin_app
from appliance.admin.auth import token_path
from appliance.store.keys import KEY_PREFIX
from tests.fakes.servers import ThreadServer
from tests.tui.conftest import SIZE, screen_text, wait_for
from tui.app import OpteraApp
from tui.client import AdminClient, Unauthorized
from tui.options import TokenFile
from tui.screens.new_key import NewKeyDialog


@pytest.fixture
def stack(appliance) -> Iterator[tuple[object, ThreadServer]]:  # type: ignore[no-untyped-def]
    admin = ThreadServer(
        create_admin_app(appliance.settings, appliance.runtime)
    ).start()
    yield appliance, admin
    admin.stop()


def rows(app, name: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one(f"#{name}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def ask(url: str, key: str) -> str:
    client = openai.OpenAI(
        api_key="sk-provider-secret-123",
        base_url=url + "/v1",
        default_headers={"x-proxy-key": key, "x-feature-tag": "tui-e2e"},
        max_retries=0,
    )
    completion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Capital of France?"}]
    )
    return completion.choices[0].message.content or ""


async def test_workspace_made_in_the_tui_serves_a_request_seen_live(stack):
    appliance, admin = stack
    token = TokenFile(token_path(appliance.settings))
    app = OpteraApp(AdminClient(admin.url, token), retry_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.link.online, timeout=10)
        await pilot.press("2", "n")
        await wait_for(pilot, lambda: app.screen.query("#name"))
        await pilot.press(*"tui-e2e", "enter")
        await wait_for(
            pilot, lambda: [r[3] for r in rows(app, "workspaces")] == ["none"]
        )

        await pilot.press("a")
        await wait_for(pilot, lambda: rows(app, "workspaces")[0][3] == "active")
        assert rows(app, "workspaces")[0][2] == "starter"

        await pilot.press("k")
        await wait_for(pilot, lambda: "0 keys of tui-e2e" in screen_text(app))
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, NewKeyDialog))
        await pilot.press("c")
        key = app.clipboard
        assert key.startswith(KEY_PREFIX)
        assert len(key) > len(KEY_PREFIX) + 40
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(rows(app, "keys")) == 1)
        assert rows(app, "keys")[0][3] == "live"
        assert rows(app, "keys")[0][0] == key[:12]
        assert key not in screen_text(app)

        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.query("#by-feature"))
        answer = await asyncio.to_thread(ask, appliance.url, key)
        assert answer == "Paris is the capital of France."
        await wait_for(pilot, lambda: app.live.total == 1, timeout=10)
        await wait_for(
            pilot, lambda: any(r[0] == "tui-e2e" for r in rows(app, "by-feature"))
        )
        feature = next(r for r in rows(app, "by-feature") if r[0] == "tui-e2e")
        assert feature[1] == "1"

        await pilot.press("1")
        await wait_for(pilot, lambda: len(rows(app, "recent")) == 1)
        _, workspace, model, status, cache, saved = rows(app, "recent")[0]
        assert (workspace, model, status, cache) == ("tui-e2e", "gpt-4o", "200", "miss")
        assert saved == "$0.00"
        await wait_for(
            pilot, lambda: app.screen.query_one("#requests-today").value == "1"
        )

    wrong = AdminClient(admin.url, lambda: "not-the-token")
    with pytest.raises(Unauthorized, match=r"Invalid admin token"):
        await wrong.workspaces()
    await wrong.aclose()
