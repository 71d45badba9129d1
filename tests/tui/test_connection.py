"""The TUI says clearly when the admin API is down or refuses the token, and
comes back by itself once it answers again."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.conftest import SIZE, screen_text, wait_for
from tests.tui.fake_admin import TOKEN
from tui.app import OpteraApp
from tui.client import AdminClient
from tui.options import TokenFile


async def test_unreachable_api_is_shown_inline_and_reconnects_by_itself(make_app, fake):
    fake.down = True
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Cannot reach the admin API" in screen_text(app))
        text = screen_text(app)
        assert "http://admin.test:8081: Connection refused" in text
        assert "retrying every 0.1 s" in text
        assert "offline" in text
        fake.down = False
        await wait_for(pilot, lambda: app.link.online)
        await wait_for(pilot, lambda: "$37.35" in screen_text(app))
        assert "Cannot reach" not in screen_text(app)


async def test_refused_token_is_shown_inline_until_the_token_is_right(make_app, fake):
    fake.token = "another-token"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: "Admin token refused" in screen_text(app))
        assert "Invalid admin token." in screen_text(app)
        assert "token refused" in screen_text(app)
        assert app.screen.query_one("#workspaces", DataTable).row_count == 0
        fake.token = TOKEN
        await wait_for(pilot, lambda: app.link.online)
        await wait_for(
            pilot, lambda: app.screen.query_one("#workspaces", DataTable).row_count == 3
        )


async def test_api_going_down_mid_session_is_noticed_by_the_next_load(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.link.online)
        fake.down = True
        await pilot.press("2")
        await wait_for(pilot, lambda: "Cannot reach the admin API" in screen_text(app))
        fake.down = False
        await wait_for(
            pilot, lambda: app.screen.query_one("#workspaces", DataTable).row_count == 3
        )


async def test_closed_event_stream_is_opened_again(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: fake.streams == 1)
        fake.events.put_nowait(None)
        await wait_for(pilot, lambda: fake.streams == 2)
        fake.push(request_id="after-reconnect")
        await wait_for(pilot, lambda: app.live.total == 1)
        assert app.link.online


async def test_unreadable_token_file_is_named_in_the_message(fake, tmp_path):
    token_file = tmp_path / "admin.token"
    client = AdminClient(
        "http://admin.test:8081", TokenFile(token_file), fake.transport()
    )
    app = OpteraApp(client, retry_seconds=0.1, refresh_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: "Cannot read the admin token file" in screen_text(app)
        )
        assert "OPTERA_ADMIN_TOKEN_FILE" in screen_text(app)
        assert fake.calls == []
        token_file.write_text(TOKEN + "\n", encoding="utf-8")
        await wait_for(pilot, lambda: app.link.online)
