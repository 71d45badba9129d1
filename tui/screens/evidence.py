"""The details of one leak finding: its window, what it cost and the evidence."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import display
from tui.models import Leak


class EvidenceDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,e", "close", "Close")]

    def __init__(self, leak: Leak) -> None:
        super().__init__(classes="dialog")
        self.leak = leak

    def compose(self) -> ComposeResult:
        leak = self.leak
        with Vertical(classes="dialog-box wide"):
            yield Static(f"{leak.pattern}  ({leak.status})", classes="dialog-title")
            yield Static(
                f"Window {display.when(leak.window_start)}"
                f" → {display.when(leak.window_end)}"
                f", {display.number(leak.count)} requests, "
                f"{display.number(leak.tokens_wasted)} tokens and "
                f"{display.usd(leak.usd_wasted)} wasted\n"
                f"Tags: {display.tags(leak.feature_tag, leak.team_tag, leak.user_tag)}"
                f"   first seen {display.when(leak.first_seen)}",
                classes="dialog-text",
            )
            with VerticalScroll(id="evidence"):
                evidence = json.dumps(leak.evidence, indent=2, default=str)
                yield Static(evidence, markup=False)
            yield Static("esc: close", classes="dialog-text")

    def action_close(self) -> None:
        self.dismiss(None)
