"""A small labelled figure, as in a dashboard's row of totals."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class Card(Vertical):
    def __init__(self, label: str, id: str) -> None:
        super().__init__(id=id, classes="card")
        self.label = label

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="card-label")
        yield Static("—", classes="card-value")

    def show(self, value: str) -> None:
        if value != self.value:
            self.query_one(".card-value", Static).update(value)

    @property
    def value(self) -> str:
        return str(self.query_one(".card-value", Static).content)
