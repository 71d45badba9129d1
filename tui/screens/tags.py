"""Savings by tag: feature, team and user tables, kept current by the event stream.

Each table is loaded from the usage API and then advanced by every request the
live stream reports, so it moves between loads; the next load corrects any
drift (events the stream dropped while the TUI was busy elsewhere).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual.widget import Widget
from textual.widgets import DataTable

from tui import display
from tui.live import REDRAW_S, RequestSeen
from tui.models import TAG_KINDS, RequestEvent, TagRow
from tui.screens.base import MainScreen
from tui.widgets.table import refill

UNTAGGED = "(untagged)"


class TagsScreen(MainScreen):
    TITLE = "Savings by tag"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, TagRow]] = {kind: {} for kind in TAG_KINDS}
        self.stale = False

    def body(self) -> Iterable[Widget]:
        for kind in TAG_KINDS:
            table: DataTable = DataTable(
                id=f"by-{kind}", cursor_type="row", zebra_stripes=True
            )
            table.border_title = f"By {kind} tag"
            table.add_columns(
                kind.title(),
                "Requests",
                "Cache hits",
                "Tokens saved",
                "Spent",
                "Saved",
                "Saved %",
            )
            yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REDRAW_S, self._redraw)

    async def load(self) -> None:
        client, scope = self.optera.client, self.optera.workspace_id
        tables = await asyncio.gather(*(client.by_tag(k, scope) for k in TAG_KINDS))
        for kind, rows in zip(TAG_KINDS, tables, strict=True):
            self.rows[kind] = {row.tag: row for row in rows}
            self._show(kind)

    def on_request_seen(self, message: RequestSeen) -> None:
        event = message.event
        scope = self.optera.workspace_id
        if scope is not None and event.workspace_id != scope:
            return
        for kind in TAG_KINDS:
            tag = event.tag(kind) or UNTAGGED
            row = self.rows[kind].setdefault(tag, TagRow(tag=tag))
            _add(row, event)
        self.stale = True

    def _redraw(self) -> None:
        if self.stale:
            self.stale = False
            for kind in TAG_KINDS:
                self._show(kind)

    def _show(self, kind: str) -> None:
        table = self.query_one(f"#by-{kind}", DataTable)
        ordered = sorted(
            self.rows[kind].values(), key=lambda row: (-row.cost_saved_usd, row.tag)
        )
        refill(table, ((row.tag, _cells(row)) for row in ordered))


def _add(row: TagRow, event: RequestEvent) -> None:
    row.requests += 1
    row.prompt_tokens += event.prompt_tokens
    row.completion_tokens += event.completion_tokens
    row.cache_hits += int(event.cache_hit)
    row.tokens_saved += event.tokens_saved
    row.cost_usd += event.cost_usd
    row.cost_saved_usd += event.cost_saved_usd
    row.raw_cost_usd += event.cost_usd + event.cost_saved_usd


def _cells(row: TagRow) -> tuple[str, ...]:
    share = display.NOTHING
    if row.raw_cost_usd > 0:
        share = display.percent(float(row.cost_saved_usd / row.raw_cost_usd))
    return (
        row.tag,
        display.number(row.requests),
        display.number(row.cache_hits),
        display.number(row.tokens_saved),
        display.usd(row.cost_usd),
        display.usd(row.cost_saved_usd),
        share,
    )
