"""The dialog that asks how long a rotated key keeps working beside the new one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DEFAULT_GRACE_S = 3600


class GraceDialog(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prefix: str) -> None:
        super().__init__(classes="dialog")
        self.prefix = prefix

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(f"Rotate key {self.prefix}…", classes="dialog-title")
            yield Label("Seconds the old key keeps working (0: stop now)")
            yield Input(str(DEFAULT_GRACE_S), id="grace", type="integer")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Rotate", id="rotate", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_input_submitted(self) -> None:
        self._rotate()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "rotate":
            self._rotate()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _rotate(self) -> None:
        text = self.query_one("#grace", Input).value.strip()
        self.dismiss(max(int(text or 0), 0))
