"""Each screen driven by pilot against the fake admin API with fixed data.

Every screen is also compared with a golden text rendering in snapshots/;
run with OPTERA_UPDATE_SNAPSHOTS=1 to rewrite them after a deliberate change.
"""

from __future__ import annotations

from textual.widgets import DataTable, Input, Switch

from tests.tui.conftest import SIZE, matches_snapshot, screen_text, wait_for
from tui.screens.new_key import NewKeyDialog
from tui.widgets.card import Card


def table(app, name: str) -> DataTable:  # type: ignore[no-untyped-def]
    return app.screen.query_one(f"#{name}", DataTable)


def column(app, name: str, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    data = table(app, name)
    return [str(data.get_row_at(row)[index]) for row in range(data.row_count)]


async def open_mode(pilot, key: str, name: str, rows: int = 1) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await wait_for(pilot, lambda: table(pilot.app, name).row_count >= rows)


async def test_overview_shows_totals_hit_rates_and_savings_series(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "$37.35" in screen_text(app))
        cards = {card.id: card.value for card in app.screen.query(Card)}
        assert cards == {
            "rate": "0.0",
            "requests-today": "1,204",
            "saved-today": "$5.85",
            "saved-month": "$37.35",
            "spent-month": "$88.12",
            "exact-rate": "18.0%",
            "semantic-rate": "5.0%",
        }
        assert "last 24: $33.00 in all, peak $2.75" in screen_text(app)
        assert column(app, "optimizations", 3) == ["$20.00", "$12.50", "$3.10", "$1.75"]
        assert matches_snapshot("overview", screen_text(app))


async def test_overview_shows_each_live_request_and_its_rate(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: fake.streams == 1)
        fake.push(request_id="r1")
        fake.push(request_id="r2", model="gpt-4o", cache="exact", workspace_id="x")
        await wait_for(pilot, lambda: table(app, "recent").row_count == 2)
        assert table(app, "recent").get_row_at(1)[1:5] == [
            "acme",
            "gpt-4o→gpt-4o-mini",
            "200",
            "miss",
        ]
        await wait_for(
            pilot, lambda: app.screen.query_one("#rate", Card).value == "0.2"
        )


async def test_overview_bucket_key_cycles_the_series_to_days(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "per hour" in screen_text(app))
        await pilot.press("b")
        await wait_for(pilot, lambda: "Saved per day" in screen_text(app))
        buckets = [q.get("bucket") for m, p, q in fake.calls if p == "/usage/series"]
        assert buckets[-1] == "day"


async def test_workspaces_table_shows_plan_subscription_quota_and_settings(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        data = table(app, "workspaces")
        assert [str(cell) for cell in data.get_row_at(2)] == [
            "initech",
            "ws_initech",
            "custom",
            "canceled",
            "████████ 19,500/20,000",
            "5.0/s, 20",
            "off: sum",
        ]
        assert str(data.get_row_at(1)[6]) == "off: sem sum"
        assert matches_snapshot("workspaces", screen_text(app))


async def test_new_workspace_dialog_creates_it_on_the_api(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.query("#name"))
        await pilot.press(*"newco", "enter")
        await wait_for(pilot, lambda: table(app, "workspaces").row_count == 4)
        assert (
            "POST",
            "/workspaces",
            {"name": "newco", "plan": "starter"},
        ) in fake.calls
        assert column(app, "workspaces", 0)[-1] == "newco"


async def test_plan_dialog_sends_custom_quota_and_burst(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("down", "down", "p")
        await wait_for(pilot, lambda: app.screen.query("#quota"))
        app.screen.query_one("#quota", Input).value = "25000"
        app.screen.query_one("#burst-rate", Input).value = "8"
        app.screen.query_one("#quota", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(c[0] == "PATCH" for c in fake.calls))
        patch = next(c for c in fake.calls if c[0] == "PATCH")
        assert patch == (
            "PATCH",
            "/workspaces/ws_initech",
            {"plan": "custom", "quota": 25000, "burst_rate": 8.0, "burst_capacity": 20},
        )


async def test_activate_and_cancel_subscription_of_the_highlighted_workspace(
    make_app, fake
):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("down", "a")
        await wait_for(
            pilot, lambda: fake.workspaces["ws_globex"]["subscription"] == "active"
        )
        await wait_for(pilot, lambda: column(app, "workspaces", 3)[1] == "active")
        await pilot.press("up", "c")
        await wait_for(
            pilot, lambda: "Cancel the subscription of acme" in screen_text(app)
        )
        await pilot.press("y")
        await wait_for(pilot, lambda: column(app, "workspaces", 3)[0] == "canceled")


async def test_settings_dialog_sends_only_the_switched_optimization(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.query("#semantic_cache"))
        assert app.screen.query_one("#semantic_cache", Switch).value is True
        app.screen.query_one("#semantic_cache", Switch).value = False
        app.screen.query_one("#tools", Switch).value = False
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(c[0] == "PUT" for c in fake.calls))
        put = next(c for c in fake.calls if c[0] == "PUT")
        body = {"semantic_cache": False, "compression": {"tools": False}}
        assert put == ("PUT", "/workspaces/ws_acme/settings", body)
        await wait_for(
            pilot, lambda: column(app, "workspaces", 6)[0] == "off: sem sum tools"
        )


async def test_delete_asks_first_and_sends_confirmation(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("down", "d")
        await wait_for(pilot, lambda: "Delete workspace globex" in screen_text(app))
        await pilot.press("n")
        await pilot.press("d")
        await wait_for(pilot, lambda: "Delete workspace globex" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: table(app, "workspaces").row_count == 2)
        assert "ws_globex" not in fake.workspaces
        deletes = [c for c in fake.calls if c[0] == "DELETE"]
        assert deletes == [
            ("DELETE", "/workspaces/ws_globex", {"confirm": "ws_globex"})
        ]


async def test_keys_screen_lists_the_chosen_workspaces_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("k")
        await wait_for(pilot, lambda: table(app, "keys").row_count == 2)
        assert column(app, "keys", 0) == ["opk_a1b2", "opk_9f8e"]
        assert column(app, "keys", 3) == ["live", "revoked"]
        assert "2 keys of acme, 1 live." in screen_text(app)
        assert matches_snapshot("keys", screen_text(app))


async def test_issued_key_is_shown_once_and_copied_to_the_clipboard(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.workspace_id = "ws_acme"
        await open_mode(pilot, "3", "keys", rows=2)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, NewKeyDialog))
        assert "opk_new1_PLAINTEXT_SHOWN_ONCE" in screen_text(app)
        await pilot.press("c")
        assert app.clipboard == "opk_new1_PLAINTEXT_SHOWN_ONCE"
        await pilot.press("escape")
        await wait_for(pilot, lambda: table(app, "keys").row_count == 3)
        assert "PLAINTEXT" not in screen_text(app)
        assert "opk_new1" in column(app, "keys", 0)


async def test_rotate_gives_a_new_key_and_a_grace_period_to_the_old(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.workspace_id = "ws_acme"
        await open_mode(pilot, "3", "keys", rows=2)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query("#grace"))
        app.screen.query_one("#grace", Input).value = "600"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NewKeyDialog))
        assert "old one works 600 s" in screen_text(app)
        assert ("POST", "/keys/key_a1/rotate", {"grace_seconds": 600}) in fake.calls
        await pilot.press("escape")
        await wait_for(pilot, lambda: "in grace" in column(app, "keys", 3))


async def test_revoke_asks_then_marks_the_key_revoked(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.workspace_id = "ws_acme"
        await open_mode(pilot, "3", "keys", rows=2)
        await pilot.press("x")
        await wait_for(pilot, lambda: "Revoke key opk_a1b2" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: column(app, "keys", 3) == ["revoked", "revoked"])
        assert fake.keys["key_a1"]["revoked"] is True


async def test_tags_screen_tables_move_with_each_live_request(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "4", "by-feature", rows=3)
        assert column(app, "by-feature", 0) == ["chat", "search", "(untagged)"]
        assert matches_snapshot("tags", screen_text(app))
        fake.push(feature_tag="chat", team_tag=None, cost_saved_usd="0.50")
        await wait_for(pilot, lambda: column(app, "by-feature", 1)[0] == "901")
        assert column(app, "by-feature", 5)[0] == "$20.60"
        assert column(app, "by-team", 0)[-1] == "(untagged)"
        assert column(app, "by-user", 1)[0] == "601"


async def test_leaks_resolve_and_show_all_and_evidence(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "5", "leaks", rows=2)
        assert column(app, "leaks", 0) == ["retry_storm", "identical_prompts"]
        assert "2 open findings, $17.25 wasted" in screen_text(app)
        assert matches_snapshot("leaks", screen_text(app))
        await pilot.press("e")
        await wait_for(pilot, lambda: '"prompt_hash": "ab12"' in screen_text(app))
        await pilot.press("escape", "r")
        await wait_for(pilot, lambda: table(app, "leaks").row_count == 1)
        assert fake.leaks[1]["status"] == "resolved"
        await pilot.press("a")
        await wait_for(pilot, lambda: table(app, "leaks").row_count == 3)
        assert sorted(column(app, "leaks", 6)) == ["open", "resolved", "resolved"]


async def test_help_lists_the_keys_of_the_screen_and_the_app(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_mode(pilot, "2", "workspaces", rows=3)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "On Workspaces" in screen_text(app))
        text = screen_text(app)
        assert "Activate" in text
        assert "Pick workspace" in text or "Workspace" in text
        assert matches_snapshot("help", text)
        await pilot.press("escape")
        await wait_for(pilot, lambda: "On Workspaces" not in screen_text(app))


async def test_picking_a_workspace_scopes_the_overview(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "$37.35" in screen_text(app))
        await pilot.press("w")
        await wait_for(pilot, lambda: "globex  (ws_globex" in screen_text(app))
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: "workspace globex" in screen_text(app))
        await wait_for(
            pilot,
            lambda: any(q.get("workspace") == "ws_globex" for _, _, q in fake.calls),
        )
        assert app.workspace_id == "ws_globex"


async def test_reload_keeps_the_cursor_on_the_same_key_when_rows_move(make_app, fake):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.workspace_id = "ws_acme"
        await open_mode(pilot, "3", "keys", rows=2)
        await pilot.press("down")
        assert app.screen.selected.id == "key_a0"
        fake.keys = {"key_z": fake.keys["key_a1"] | {"id": "key_z"}, **fake.keys}
        app.screen.reload()
        await wait_for(pilot, lambda: table(app, "keys").row_count == 3)
        assert table(app, "keys").cursor_row == 2
        assert app.screen.selected.id == "key_a0"
