"""Keys: the proxy keys of the picked workspace; issue, rotate and revoke them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui import display
from tui.client import ApiError
from tui.models import IssuedKey, ProxyKey
from tui.screens.base import MainScreen
from tui.screens.confirm import ConfirmDialog
from tui.screens.grace_form import GraceDialog
from tui.screens.new_key import NewKeyDialog
from tui.widgets.table import highlighted_key, refill

PICK_FIRST = "Pick a workspace first: press w, or k on the Workspaces screen."


class KeysScreen(MainScreen):
    TITLE = "Keys"
    BINDINGS = [
        Binding("i", "issue", "Issue", tooltip="Issue a key; shown once, c copies it"),
        Binding(
            "r",
            "rotate",
            "Rotate",
            tooltip="New key; the old one works for a grace period",
        ),
        Binding("x", "revoke", "Revoke", tooltip="Revoke the key at once"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ProxyKey] = {}

    def body(self) -> Iterable[Widget]:
        yield Static(PICK_FIRST, id="keys-hint")
        table: DataTable = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        table.add_columns(
            "Prefix", "Name", "ID", "State", "Created", "Last used", "Expires"
        )
        yield table

    async def load(self) -> None:
        workspace_id = self.optera.workspace_id
        hint = self.query_one("#keys-hint", Static)
        table = self.query_one("#keys", DataTable)
        if workspace_id is None:
            hint.update(PICK_FIRST)
            table.clear()
            return
        keys = await self.optera.client.keys(workspace_id)
        self.rows = {key.id: key for key in keys}
        live = sum(1 for key in keys if key.live)
        name = self.optera.names.get(workspace_id, workspace_id)
        hint.update(
            f"{len(keys)} keys of {name}, {live} live."
            "  A key's plaintext is shown only when it is issued."
        )
        now = self.optera.clock()
        refill(table, ((key.id, _row(key, now)) for key in keys))

    @property
    def selected(self) -> ProxyKey | None:
        table = self.query_one("#keys", DataTable)
        return self.rows.get(highlighted_key(table) or "")

    def action_issue(self) -> None:
        workspace_id = self.optera.workspace_id
        if workspace_id is None:
            self.notify(PICK_FIRST, severity="warning")
            return
        self.run_worker(self._issue(workspace_id), group="act")

    def action_rotate(self) -> None:
        key = self.selected
        if key is None:
            return

        def chosen(grace: int | None) -> None:
            if grace is not None:
                self.run_worker(self._rotate(key, grace), group="act")

        self.app.push_screen(GraceDialog(key.prefix), chosen)

    def action_revoke(self) -> None:
        key = self.selected
        if key is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.act(
                    self.optera.client.revoke_key(key.id), f"Key {key.prefix}… revoked"
                )

        question = f"Revoke key {key.prefix}…? Requests with it fail from now on."
        self.app.push_screen(ConfirmDialog(question), answered)

    async def _issue(self, workspace_id: str) -> None:
        try:
            issued = await self.optera.client.issue_key(workspace_id)
        except ApiError as error:
            self.optera.report(error)
            return
        self._show_once(issued, "New proxy key")

    async def _rotate(self, key: ProxyKey, grace: int) -> None:
        try:
            issued = await self.optera.client.rotate_key(key.id, grace)
        except ApiError as error:
            self.optera.report(error)
            return
        self._show_once(
            issued, f"Replacement for {key.prefix}… (old one works {grace} s)"
        )

    def _show_once(self, issued: IssuedKey, heading: str) -> None:
        self.app.push_screen(NewKeyDialog(issued, heading))


def _row(key: ProxyKey, now: datetime) -> tuple[object, ...]:
    return (
        key.prefix,
        key.name or display.NOTHING,
        key.id,
        _state(key, now),
        display.when(key.created_at),
        display.when(key.last_used_at),
        display.when(key.expires_at),
    )


def _state(key: ProxyKey, now: datetime) -> Text:
    if key.revoked:
        return Text("revoked", style="red")
    if not key.live:
        return Text("expired", style="red")
    if key.expires_at is not None and key.expires_at > now:
        return Text("in grace", style="yellow")
    return Text("live", style="green")
