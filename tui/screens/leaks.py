"""Leaks: wasteful patterns the leak scan found; read the evidence, resolve them."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui import display
from tui.models import Leak
from tui.screens.base import MainScreen
from tui.screens.evidence import EvidenceDialog
from tui.widgets.table import highlighted_key, refill


class LeaksScreen(MainScreen):
    TITLE = "Leaks"
    BINDINGS = [
        Binding("r", "resolve", "Resolve", tooltip="Mark the finding resolved"),
        Binding(
            "e", "evidence", "Evidence", tooltip="Window, cost and evidence (or enter)"
        ),
        Binding("a", "toggle_all", "Open/all", tooltip="Show open findings, or all"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Leak] = {}
        self.only_open = True

    def body(self) -> Iterable[Widget]:
        yield Static(id="leaks-hint")
        table: DataTable = DataTable(id="leaks", cursor_type="row", zebra_stripes=True)
        table.add_columns(
            "Pattern",
            "Workspace",
            "Tags",
            "Count",
            "Tokens wasted",
            "Wasted",
            "Status",
            "Last seen",
        )
        yield table

    async def load(self) -> None:
        status = "open" if self.only_open else "all"
        leaks = await self.optera.client.leaks(self.optera.workspace_id, status)
        self.rows = {leak.id: leak for leak in leaks}
        wasted = sum((leak.usd_wasted for leak in leaks), start=display.ZERO)
        which = "open" if self.only_open else "open and resolved"
        self.query_one("#leaks-hint", Static).update(
            f"{len(leaks)} {which} findings, {display.usd(wasted)} wasted"
            "   (e: evidence, r: resolve, a: open/all)"
        )
        table = self.query_one("#leaks", DataTable)
        ordered = sorted(leaks, key=lambda leak: -leak.usd_wasted)
        refill(table, ((leak.id, self._row(leak)) for leak in ordered))

    @property
    def selected(self) -> Leak | None:
        table = self.query_one("#leaks", DataTable)
        return self.rows.get(highlighted_key(table) or "")

    def action_resolve(self) -> None:
        if leak := self.selected:
            call = self.optera.client.resolve_leak(leak.id)
            self.act(call, f"Finding {leak.pattern} resolved")

    def action_evidence(self) -> None:
        if leak := self.selected:
            self.app.push_screen(EvidenceDialog(leak))

    def action_toggle_all(self) -> None:
        self.only_open = not self.only_open
        self.reload()

    def on_data_table_row_selected(self) -> None:
        self.action_evidence()

    def _row(self, leak: Leak) -> tuple[str, ...]:
        workspace = self.optera.names.get(leak.workspace_id or "", leak.workspace_id)
        return (
            leak.pattern,
            workspace or display.NOTHING,
            display.tags(leak.feature_tag, leak.team_tag, leak.user_tag),
            display.number(leak.count),
            display.number(leak.tokens_wasted),
            display.usd(leak.usd_wasted),
            leak.status,
            display.when(leak.last_seen),
        )
