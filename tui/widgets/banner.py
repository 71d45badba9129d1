"""The top of every screen: where we are, and whether the admin API answers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tui.link import ONLINE, Link

MARKS = {ONLINE: ("●", "green"), "connecting": ("◌", "yellow")}
STATES = {ONLINE: "online", "connecting": "connecting", "offline": "offline"}


class Banner(Vertical):
    """Title and scope, the connection state, and a full message when in trouble."""

    def __init__(self, title: str) -> None:
        super().__init__(id="banner")
        self.title = title

    def compose(self) -> ComposeResult:
        with Horizontal(id="topline"):
            yield Static(id="title")
            yield Static(id="link")
        yield Static(id="alert")

    def show_scope(self, scope: str) -> None:
        text = Text.assemble(("Optera", "bold"), " / ", (self.title, "bold"))
        text.append(f"   {scope}", style="dim")
        self.query_one("#title", Static).update(text)

    def show_link(self, link: Link, url: str) -> None:
        mark, style = MARKS.get(link.state, ("✖", "bold red"))
        state = STATES.get(link.state, "token refused")
        self.query_one("#link", Static).update(
            Text.assemble((mark, style), " ", (state, style), f"  {url}")
        )
        alert = self.query_one("#alert", Static)
        alert.update("" if link.online else link.message)
        alert.display = not link.online
        self.set_class(not link.online, "trouble")
