"""Writes usage records in the background, in batches, off the request path.

Records are queued in memory as the tuples of one insert and written every
`interval` seconds (or once `batch` are waiting) in a worker thread; stop()
writes whatever is left. Listeners (the admin API's live views) get a
`RecordView` of the same columns, read by attribute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from appliance.store import keys, usage
from appliance.store.models import RecordView

log = logging.getLogger(__name__)
Listener = Callable[[RecordView], None]


class UsageWriter:
    def __init__(
        self, engine: Engine, interval: float = 0.25, batch: int = 500
    ) -> None:
        self._engine = engine
        self._interval = interval
        self._batch = batch
        self._rows = usage.RecordRows(engine)
        self._pending: list[tuple[Any, ...]] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._last_used: dict[str, datetime] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Listener] = []
        self.written = 0

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every record as it is queued; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add(self, record: dict[str, Any], counted_period: str | None) -> None:
        """Queue a record; `counted_period` adds one to its workspace's quota count."""
        self._pending.append(self._rows.row(record))
        workspace_id, key_id = record.get("workspace_id"), record.get("key_id")
        if counted_period and workspace_id:
            self._counts[(workspace_id, counted_period)] += 1
        if key_id:
            self._last_used[key_id] = record["created_at"]
        if self._listeners:
            self._notify(RecordView(**record))
        if len(self._pending) >= self._batch:
            self._wake.set()

    def _notify(self, record: RecordView) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                log.exception("usage listener failed")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="usage-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Write everything queued so far."""
        records, counts, last_used = self._pending, dict(self._counts), self._last_used
        self._pending, self._counts, self._last_used = [], Counter(), {}
        if not records and not counts:
            return
        try:
            await asyncio.to_thread(self._write, records, counts, last_used)
        except Exception:
            log.exception(
                "writing %d usage records failed; keeping them queued", len(records)
            )
            self._pending[:0] = records
            self._counts.update(counts)
            return
        self.written += len(records)

    def _write(
        self, records: list[tuple[Any, ...]], counts: dict, last_used: dict
    ) -> None:
        # One transaction: each commit is a WAL write of its own.
        with self._engine.begin() as connection:
            usage.write_rows(connection, self._rows, records, counts)
            keys.touch(connection, last_used)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            self._wake.clear()
            await self.flush()
