"""Picks the workspace the Keys, Overview, Tags and Leaks screens show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.client import AdminClient, ApiError

ALL = ""


class WorkspacePicker(ModalScreen[str | None]):
    """Dismisses with a workspace id, ALL for every workspace, or None to cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, client: AdminClient, current: str | None) -> None:
        super().__init__(classes="dialog")
        self.client = client
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static("Show which workspace?", classes="dialog-title")
            yield OptionList(Option("All workspaces", id=ALL), id="choices")

    def on_mount(self) -> None:
        self.run_worker(self._fill())

    async def _fill(self) -> None:
        try:
            workspaces = await self.client.workspaces()
        except ApiError as error:
            self.query_one(".dialog-title", Static).update(error.message)
            return
        choices = self.query_one("#choices", OptionList)
        for workspace in workspaces:
            label = f"{workspace.name}  ({workspace.id}, {workspace.plan})"
            choices.add_option(Option(label, id=workspace.id))
            if workspace.id == self.current:
                choices.highlighted = choices.option_count - 1

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or ALL)

    def action_cancel(self) -> None:
        self.dismiss(None)
