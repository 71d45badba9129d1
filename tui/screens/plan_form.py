"""The dialog that changes a workspace's plan, custom quota and burst limit."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.models import Workspace
from tui.screens.workspace_form import PLANS


class PlanDialog(ModalScreen[dict[str, Any] | None]):
    """Returns the PATCH body: only what the operator filled in."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(classes="dialog")
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        workspace = self.workspace
        with Vertical(classes="dialog-box"):
            yield Static(f"Plan of {workspace.name}", classes="dialog-title")
            yield Label("Plan")
            options = [(plan.title(), plan) for plan in PLANS]
            plan = workspace.plan if workspace.plan in PLANS else "starter"
            yield Select(options, value=plan, allow_blank=False, id="plan")
            yield Label("Monthly quota, requests (custom plan)")
            yield Input(_text(workspace.custom_quota), id="quota", type="integer")
            yield Label("Burst: requests a second per key (blank: default)")
            yield Input(_text(workspace.burst_rate), id="burst-rate", type="number")
            yield Label("Burst: bucket size (blank: default)")
            yield Input(
                _text(workspace.burst_capacity), id="burst-capacity", type="integer"
            )
            yield Static("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_input_submitted(self) -> None:
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _save(self) -> None:
        changes: dict[str, Any] = {"plan": str(self.query_one("#plan", Select).value)}
        quota = self.query_one("#quota", Input).value.strip()
        if changes["plan"] == "custom" and not quota:
            self.query_one("#problem", Static).update("A custom plan needs a quota.")
            return
        if quota:
            changes["quota"] = int(quota)
        rate = self.query_one("#burst-rate", Input).value.strip()
        if rate:
            changes["burst_rate"] = float(rate)
        capacity = self.query_one("#burst-capacity", Input).value.strip()
        if capacity:
            changes["burst_capacity"] = int(capacity)
        self.dismiss(changes)


def _text(value: object) -> str:
    return "" if value is None else str(value)
