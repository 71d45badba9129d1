"""Workspaces: plan, subscription, quota bar and optimizations of each, and the
actions on them (create, plan, subscription, settings, delete)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable

from tui import display
from tui.client import ApiError
from tui.models import Workspace
from tui.screens.base import MainScreen
from tui.screens.confirm import ConfirmDialog
from tui.screens.plan_form import PlanDialog
from tui.screens.settings_form import SettingsDialog, summary
from tui.screens.workspace_form import NewWorkspace, NewWorkspaceDialog
from tui.widgets.table import highlighted_key, refill


class WorkspacesScreen(MainScreen):
    TITLE = "Workspaces"
    BINDINGS = [
        Binding("n", "create", "New", tooltip="Create a workspace: name and plan"),
        Binding(
            "p", "plan", "Plan", tooltip="Change plan, custom quota or burst limit"
        ),
        Binding("a", "activate", "Activate", tooltip="Activate the subscription"),
        Binding("c", "cancel", "Cancel", tooltip="Cancel the subscription"),
        Binding("s", "settings", "Settings", tooltip="Switch optimizations on or off"),
        Binding("k", "keys", "Keys", tooltip="Proxy keys of this workspace (or enter)"),
        Binding("d", "delete", "Delete", tooltip="Delete the workspace and its keys"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Workspace] = {}

    def body(self) -> Iterable[Widget]:
        table: DataTable = DataTable(
            id="workspaces", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(
            "Name", "ID", "Plan", "Subscription", "Quota used", "Burst", "Optimizations"
        )
        yield table

    async def load(self) -> None:
        client = self.optera.client
        workspaces = await client.workspaces()
        effective = await asyncio.gather(*(client.settings(w.id) for w in workspaces))
        self.optera.remember(workspaces)
        self.rows = {workspace.id: workspace for workspace in workspaces}
        table = self.query_one("#workspaces", DataTable)
        shown = zip(workspaces, effective, strict=True)
        refill(table, ((ws.id, _row(ws, settings)) for ws, settings in shown))

    @property
    def selected(self) -> Workspace | None:
        table = self.query_one("#workspaces", DataTable)
        return self.rows.get(highlighted_key(table) or "")

    def action_create(self) -> None:
        def created(form: NewWorkspace | None) -> None:
            if form is not None:
                call = self.optera.client.create_workspace(form.name, form.plan)
                self.act(call, f"Workspace {form.name} created")

        self.app.push_screen(NewWorkspaceDialog(), created)

    def action_plan(self) -> None:
        workspace = self.selected
        if workspace is None:
            return

        def chosen(changes: dict[str, Any] | None) -> None:
            if changes:
                call = self.optera.client.update_workspace(workspace.id, **changes)
                self.act(call, f"{workspace.name}: plan {changes['plan']}")

        self.app.push_screen(PlanDialog(workspace), chosen)

    def action_activate(self) -> None:
        if workspace := self.selected:
            call = self.optera.client.activate(workspace.id)
            self.act(call, f"{workspace.name}: subscription active")

    def action_cancel(self) -> None:
        workspace = self.selected
        if workspace is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                call = self.optera.client.cancel(workspace.id)
                self.act(call, f"{workspace.name}: subscription canceled")

        question = (
            f"Cancel the subscription of {workspace.name}? Its keys stop working."
        )
        self.app.push_screen(ConfirmDialog(question), answered)

    def action_settings(self) -> None:
        if workspace := self.selected:
            self.run_worker(self._edit_settings(workspace), group="act")

    async def _edit_settings(self, workspace: Workspace) -> None:
        try:
            settings = await self.optera.client.settings(workspace.id)
        except ApiError as error:
            self.optera.report(error)
            return

        def edited(changed: dict[str, Any] | None) -> None:
            if changed == {}:
                self.notify("Nothing changed")
            elif changed is not None:
                call = self.optera.client.put_settings(workspace.id, changed)
                self.act(call, f"{workspace.name}: optimizations saved")

        self.app.push_screen(SettingsDialog(workspace.name, settings), edited)

    def action_keys(self) -> None:
        if workspace := self.selected:
            self.optera.workspace_id = workspace.id
            self.app.switch_mode("keys")

    def action_delete(self) -> None:
        workspace = self.selected
        if workspace is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                call = self.optera.client.delete_workspace(workspace.id)
                self.act(call, f"Workspace {workspace.name} deleted")

        question = (
            f"Delete workspace {workspace.name} ({workspace.id}) with its keys? "
            "This cannot be undone."
        )
        self.app.push_screen(ConfirmDialog(question), answered)

    def on_data_table_row_selected(self) -> None:
        self.action_keys()


def _row(workspace: Workspace, settings: dict[str, Any]) -> tuple[object, ...]:
    burst = display.NOTHING
    if workspace.burst_rate is not None or workspace.burst_capacity is not None:
        rate, capacity = workspace.burst_rate, workspace.burst_capacity
        burst = f"{rate or 'default'}/s, {capacity or 'default'}"
    return (
        workspace.name,
        workspace.id,
        workspace.plan,
        display.subscription(workspace.subscription),
        display.quota_bar(workspace.quota_used, workspace.quota),
        burst,
        summary(settings),
    )
