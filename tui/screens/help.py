"""The help screen: every key of the app and of the screen it was opened on."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

ABOUT = (
    "optera-tui talks to the appliance's admin API only. When the API cannot be "
    "reached or refuses the token, the top of every screen says so and the TUI "
    "keeps retrying by itself. Issued keys are shown once: copy them with c."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, under: Screen, app: App) -> None:
        super().__init__(classes="dialog")
        self.sections = [
            (f"On {getattr(under, 'TITLE', '') or 'this screen'}", under.BINDINGS),
            ("Everywhere", app.BINDINGS),
        ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide", id="help"):
            yield Static("Help: keys", classes="dialog-title")
            with VerticalScroll():
                for title, bindings in self.sections:
                    yield Static(_keys(title, bindings))
                yield Static(Text(ABOUT, style="dim"))
            yield Static("esc or ?: close", classes="dialog-text")

    def action_close(self) -> None:
        self.dismiss(None)


def _keys(title: str, bindings: list[BindingType]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    table.add_column(style="bold cyan", min_width=6)
    table.add_column(style="bold", min_width=16)
    table.add_column()
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        keys = binding.key_display or binding.key.replace("question_mark", "?")
        table.add_row(keys, binding.description, binding.tooltip)
    return table
