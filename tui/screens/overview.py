"""Overview: requests a second, savings today and this month, hit rates, and a
sparkline of savings over time, with the latest requests as they complete."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Sparkline, Static

from tui import display
from tui.live import REDRAW_S, RequestSeen
from tui.models import RequestEvent, SeriesPoint, Summary, money
from tui.screens.base import MainScreen
from tui.widgets.card import Card
from tui.widgets.table import refill

BUCKETS = ("minute", "hour", "day")
POINTS = {"minute": 60, "hour": 48, "day": 30}
RECENT = 12


class OverviewScreen(MainScreen):
    TITLE = "Overview"
    BINDINGS = [
        Binding(
            "b",
            "next_bucket",
            "Minute/hour/day",
            tooltip="Savings series by minute, hour or day",
        )
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bucket = "hour"
        self.day = Summary()
        self.month = Summary()
        self.stale = False

    def body(self) -> Iterable[Widget]:
        yield Horizontal(
            Card("Requests/s", id="rate"),
            Card("Requests today", id="requests-today"),
            Card("Saved today", id="saved-today"),
            Card("Saved in month", id="saved-month"),
            Card("Spent in month", id="spent-month"),
            Card("Cache hits", id="exact-rate"),
            Card("Semantic hits", id="semantic-rate"),
            id="cards",
        )
        yield Vertical(
            Static(id="spark-label"),
            Sparkline([], id="spark"),
            id="savings",
        )
        with Horizontal(id="lower"):
            yield _table("optimizations", "Saved by optimization this month")
            yield _table("recent", "Latest requests (live)")

    def on_mount(self) -> None:
        super().on_mount()
        optimizations = self.query_one("#optimizations", DataTable)
        optimizations.add_columns("Optimization", "Requests", "Tokens saved", "Saved")
        recent = self.query_one("#recent", DataTable)
        recent.add_columns("Time", "Workspace", "Model", "Status", "Cache", "Saved")
        self._tick()
        self.set_interval(REDRAW_S, self._tick)

    async def load(self) -> None:
        client, scope = self.optera.client, self.optera.workspace_id
        today = self.optera.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        day, month, series, workspaces = await asyncio.gather(
            client.summary(scope, since=today),
            client.summary(scope, since=today.replace(day=1)),
            client.series(self.bucket, scope),
            client.workspaces(),
        )
        self.optera.remember(workspaces)
        self.day, self.month = day, month
        self._show_totals()
        self._show_series(series[-POINTS[self.bucket] :])
        self._show_optimizations(month.by_optimization)
        self._show_recent()

    def on_request_seen(self, message: RequestSeen) -> None:
        scope = self.optera.workspace_id
        if scope is None or message.event.workspace_id == scope:
            self.day = self.day.with_event(message.event)
            self.month = self.month.with_event(message.event)
        self.stale = True

    def action_next_bucket(self) -> None:
        self.bucket = BUCKETS[(BUCKETS.index(self.bucket) + 1) % len(BUCKETS)]
        self.reload()

    def _tick(self) -> None:
        if not self.is_current:
            return
        self._show_rate()
        if self.stale:
            self.stale = False
            self._show_totals()
            self._show_recent()

    def _show_rate(self) -> None:
        rate = self.optera.live.rate(time.monotonic(), self.optera.workspace_id)
        self.query_one("#rate", Card).show(f"{rate:.1f}")

    def _show_totals(self) -> None:
        day, month = self.day, self.month
        self.query_one("#requests-today", Card).show(display.number(day.requests))
        self.query_one("#saved-today", Card).show(display.usd(day.cost_saved_usd))
        self.query_one("#saved-month", Card).show(display.usd(month.cost_saved_usd))
        self.query_one("#spent-month", Card).show(display.usd(month.cost_usd))
        self.query_one("#exact-rate", Card).show(display.percent(month.cache_hit_rate))
        semantic = display.percent(month.semantic_hit_rate)
        self.query_one("#semantic-rate", Card).show(semantic)

    def _show_series(self, points: list[SeriesPoint]) -> None:
        saved = [point.cost_saved_usd for point in points]
        total, peak = sum(saved, Decimal(0)), max(saved, default=Decimal(0))
        self.query_one("#spark-label", Static).update(
            f"Saved per {self.bucket}, last {len(points)}: "
            f"{display.usd(total)} in all, peak {display.usd(peak)}   (b: change)"
        )
        # The sparkline only draws shapes; floats are fine for that.
        self.query_one("#spark", Sparkline).data = [float(value) for value in saved]

    def _show_optimizations(self, by_optimization: dict[str, Any]) -> None:
        steps = [(name, _step(figures)) for name, figures in by_optimization.items()]
        steps.sort(key=lambda item: (-item[1][2], item[0]))
        refill(
            self.query_one("#optimizations", DataTable),
            ((name, _step_cells(name, *step)) for name, step in steps),
        )

    def _show_recent(self) -> None:
        latest = self.optera.live.latest(RECENT, self.optera.workspace_id)
        refill(
            self.query_one("#recent", DataTable),
            (
                (f"{i}:{e.request_id}", self._recent_row(e))
                for i, e in enumerate(latest)
            ),
        )

    def _recent_row(self, event: RequestEvent) -> tuple[str, ...]:
        model = event.model
        if event.original_model and event.original_model != event.model:
            model = f"{event.original_model}→{event.model}"
        workspace = self.optera.names.get(event.workspace_id or "", "")
        moment = event.time.strftime("%H:%M:%S") if event.time else display.NOTHING
        return (
            moment,
            workspace or (event.workspace_id or display.NOTHING),
            model,
            str(event.status),
            event.cache,
            display.usd(event.cost_saved_usd),
        )


def _table(id: str, title: str) -> DataTable:
    table: DataTable = DataTable(id=id, cursor_type="row", zebra_stripes=True)
    table.border_title = title
    return table


def _step(figures: Any) -> tuple[int, int, Decimal]:
    """Requests, tokens saved and dollars saved by one optimization."""
    figures = figures if isinstance(figures, dict) else {}
    requests, tokens = figures.get("requests"), figures.get("tokens")
    return int(requests or 0), int(tokens or 0), money(figures.get("usd"))


def _step_cells(name: str, requests: int, tokens: int, usd: Decimal) -> tuple[str, ...]:
    label = name.replace("_", " ")
    return label, display.number(requests), display.number(tokens), display.usd(usd)
