"""The dialog that names a new workspace and picks its plan."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

# The admin API's schema names the same plans (appliance.admin.schemas.Plan);
# importing it would pull the database layer into the TUI's start-up.
PLANS = ("starter", "growth", "enterprise", "custom")


@dataclass(frozen=True)
class NewWorkspace:
    name: str
    plan: str


class NewWorkspaceDialog(ModalScreen[NewWorkspace | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("New workspace", classes="dialog-title")
            yield Label("Name")
            yield Input(placeholder="acme", id="name")
            yield Label("Plan")
            options = [(plan.title(), plan) for plan in PLANS]
            yield Select(options, value="starter", allow_blank=False, id="plan")
            yield Static("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", id="create", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_input_submitted(self) -> None:
        self._create()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self._create()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _create(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            self.query_one("#problem", Static).update("A workspace needs a name.")
            return
        plan = str(self.query_one("#plan", Select).value)
        self.dismiss(NewWorkspace(name, plan))
