"""The exact store: an in-memory LRU of cached answers in front of SQLite.

Hits are answered from memory. Writes go to SQLite behind the request, in a
worker thread, so entries survive a restart; after one, an entry is loaded
from SQLite the first time it is asked for. Eviction (entry count or total
bytes) removes the least recently used entry from both. One process serves a
database: a second process on the same file would not see the first one's
evictions or new entries until it loads them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.engine import Engine

from appliance.providers.usage import Usage
from appliance.store import cache_entries
from appliance.store.cache_entries import Row

log = logging.getLogger(__name__)
MAINTENANCE_SECONDS = 60.0
WRITE_BATCH = 500
WRITE_LINGER_SECONDS = 0.05


@dataclass(frozen=True)
class Entry:
    """One cached answer: the provider's body as it came, and its usage."""

    key: str
    workspace_id: str
    body: bytes
    usage: Usage
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class Limits:
    max_entries: int
    max_bytes: int


def to_row(entry: Entry) -> Row:
    usage = entry.usage
    return Row(
        key=entry.key,
        workspace_id=entry.workspace_id,
        body=entry.body,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        created_at=entry.created_at,
        expires_at=entry.expires_at,
    )


def from_row(row: Row) -> Entry:
    usage = Usage(
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cache_read_tokens=row.cache_read_tokens,
        cache_write_tokens=row.cache_write_tokens,
        reasoning_tokens=row.reasoning_tokens,
    )
    return Entry(
        row.key,
        row.workspace_id,
        bytes(row.body),
        usage,
        row.created_at,
        row.expires_at,
    )


class ExactStore:
    """Cached answers by key. Memory is touched only from the event loop."""

    def __init__(
        self,
        engine: Engine | None,
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._memory: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._writer = (
            _WriteBehind(engine, limits.max_entries, clock) if engine else None
        )
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._memory)

    @property
    def bytes(self) -> int:
        return self._bytes

    def start(self) -> None:
        if self._writer is not None:
            self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)

    async def drain(self) -> None:
        """Wait until every queued write has reached SQLite."""
        if self._writer is not None:
            await asyncio.to_thread(self._writer.drain)

    def get(self, key: str) -> Entry | None:
        """The live entry in memory, marked as just used; None otherwise."""
        entry = self._memory.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self.delete(key)
            return None
        self._memory.move_to_end(key)
        return entry

    async def fetch(self, key: str) -> Entry | None:
        """The live entry from memory, else from SQLite (kept in memory after)."""
        entry = self.get(key)
        if entry is not None or self._writer is None:
            return entry
        if not self._writer.may_hold(key):
            return None
        row = await asyncio.to_thread(self._writer.find, key)
        self._writer.forget(key)
        if row is None or self._writer.doomed(key) or key in self._memory:
            return self.get(key)
        entry = from_row(row)
        if entry.expires_at <= self._clock():
            self.delete(key)
            return None
        self._remember(entry)
        return entry

    def put(self, entry: Entry) -> None:
        """Keep an entry (replacing any under its key) and queue its write."""
        self._remember(entry)
        if self._writer is not None:
            self._writer.upsert(entry)

    def delete(self, key: str) -> None:
        self._forget(key)
        if self._writer is not None:
            self._writer.delete([key])

    def delete_workspace(self, workspace_id: str) -> int:
        """Drop every entry of one workspace; returns how many were in memory."""
        doomed = [k for k, e in self._memory.items() if e.workspace_id == workspace_id]
        for key in doomed:
            self._forget(key)
        if self._writer is not None:
            self._writer.delete_workspace(workspace_id)
        return len(doomed)

    def _remember(self, entry: Entry) -> None:
        self._forget(entry.key)
        self._memory[entry.key] = entry
        self._bytes += len(entry.body)
        evicted: list[str] = []
        while len(self._memory) > 1 and (
            len(self._memory) > self._limits.max_entries
            or self._bytes > self._limits.max_bytes
        ):
            oldest = next(iter(self._memory))
            self._forget(oldest)
            evicted.append(oldest)
        self.evictions += len(evicted)
        if evicted and self._writer is not None:
            self._writer.delete(evicted)

    def _forget(self, key: str) -> None:
        old = self._memory.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)


class _WriteBehind:
    """Applies upserts and deletes to SQLite in order, in one worker thread.

    It also knows which keys SQLite held at start-up, so that a miss on a key
    it never held costs no read, and it purges and trims the table now and then.
    """

    def __init__(self, engine: Engine, max_entries: int, clock: Callable[[], float]):
        self._engine = engine
        self._max_entries = max_entries
        self._clock = clock
        self._queue: queue.Queue[tuple[str, object] | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="cache-writer", daemon=True
        )
        self._lock = threading.Lock()
        self._deleting: set[str] = set()
        self._cold: set[str] | None = None
        cache_entries.ensure_table(engine)

    def start(self) -> None:
        self._queue.put(("load", None))
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)

    def drain(self) -> None:
        if self._thread.is_alive():
            self._queue.join()

    def upsert(self, entry: Entry) -> None:
        with self._lock:
            self._deleting.discard(entry.key)
        self._queue.put(("upsert", to_row(entry)))

    def delete(self, keys: list[str]) -> None:
        with self._lock:
            self._deleting.update(keys)
        if self._cold is not None:
            self._cold.difference_update(keys)
        self._queue.put(("delete", keys))

    def delete_workspace(self, workspace_id: str) -> None:
        self._cold = None
        self._queue.put(("workspace", workspace_id))

    def may_hold(self, key: str) -> bool:
        """False only when SQLite surely lacks the key (it was not there at start)."""
        cold = self._cold
        return cold is None or key in cold

    def doomed(self, key: str) -> bool:
        with self._lock:
            return key in self._deleting

    def forget(self, key: str) -> None:
        if self._cold is not None:
            self._cold.discard(key)

    def find(self, key: str) -> Row | None:
        return cache_entries.find(self._engine, key)

    def _run(self) -> None:
        due = time.monotonic() + MAINTENANCE_SECONDS
        while True:
            batch = self._next_batch(due)
            if batch:
                self._guarded(partial(self._apply, batch))
                for _ in batch:
                    self._queue.task_done()
                if None in batch:
                    return
            if time.monotonic() >= due:
                self._guarded(self._maintain)
                due = time.monotonic() + MAINTENANCE_SECONDS

    def _next_batch(self, due: float) -> list[tuple[str, object] | None]:
        """What is queued, waited for until `due`; after the first write it
        lingers a moment so that writes arriving together share a transaction
        (and take the interpreter from the request path once, not each time)."""
        try:
            first = self._queue.get(timeout=max(0.0, due - time.monotonic()))
        except queue.Empty:
            return []
        if first is not None:
            time.sleep(WRITE_LINGER_SECONDS)
        batch = [first]
        while len(batch) < WRITE_BATCH and None not in batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("cache writer failed; the affected entries stay in memory")

    def _apply(self, batch: list[tuple[str, object] | None]) -> None:
        """Apply consecutive upserts as one statement, everything else in order."""
        rows: list[Row] = []
        for item in batch:
            if item is not None and item[0] == "upsert":
                rows.append(item[1])  # type: ignore[arg-type]
                continue
            self._flush_rows(rows)
            if item is not None:
                self._apply_one(*item)
        self._flush_rows(rows)

    def _flush_rows(self, rows: list[Row]) -> None:
        if rows:
            cache_entries.upsert(self._engine, rows)
            rows.clear()

    def _apply_one(self, kind: str, value: object) -> None:
        if kind == "delete":
            cache_entries.delete_keys(self._engine, value)  # type: ignore[arg-type]
            with self._lock:
                self._deleting.difference_update(value)  # type: ignore[arg-type]
        elif kind == "workspace":
            cache_entries.delete_workspace(self._engine, str(value))
            self._cold = set(cache_entries.live_keys(self._engine, self._clock()))
        elif kind == "load":
            self._maintain()
            self._cold = set(cache_entries.live_keys(self._engine, self._clock()))
            log.info("exact cache: %d entries on disk", len(self._cold))

    def _maintain(self) -> None:
        started = time.perf_counter()
        purged = cache_entries.purge_expired(self._engine, self._clock())
        trimmed = cache_entries.trim(self._engine, self._max_entries)
        log.debug(
            "exact cache maintenance: %d expired, %d trimmed in %.1f ms",
            purged,
            trimmed,
            (time.perf_counter() - started) * 1000,
        )
