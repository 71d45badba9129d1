"""Shows a newly issued proxy key, the only time its plaintext is ever shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.models import IssuedKey


class NewKeyDialog(ModalScreen[None]):
    """The plaintext is dropped when this dialog closes; the API keeps only a hash."""

    BINDINGS = [
        Binding("c", "copy", "Copy"),
        Binding("escape,enter", "close", "Done"),
    ]

    def __init__(self, issued: IssuedKey, heading: str) -> None:
        super().__init__(classes="dialog")
        self.issued = issued
        self.heading = heading

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide"):
            yield Static(self.heading, classes="dialog-title")
            yield Static(
                "Copy it now: it is shown once and cannot be read back later.",
                classes="dialog-text",
            )
            yield Static(self.issued.plaintext, id="plaintext")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy (c)", id="copy", variant="primary")
                yield Button("Done (esc)", id="done")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.action_close()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.issued.plaintext)
        self.notify("Key copied to the clipboard")

    def action_close(self) -> None:
        self.dismiss(None)
