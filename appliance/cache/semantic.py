"""The semantic cache: near-duplicate prompts answered with a stored answer.

An entry is the last user turn's vector in its scope (everything else about
the request, hashed), pointing at an exact-cache entry. A lookup in a scope
with no entries costs no embedding. New entries are embedded off the request
path and written to LanceDB in batches; the table is compacted and purged of
expired rows in the background. Hot scopes are searched in memory, and a prompt
is not embedded when no entry of a hot scope could be served for it: none
shares enough content words, or the guards refuse every one that does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from appliance.cache.keys import SemanticQuery
from appliance.cache.store import Entry, ExactStore
from appliance.semantic.decision import decide
from appliance.semantic.embedder import Embedder
from appliance.semantic.guards import servable
from appliance.semantic.index import Candidate, NewEntry, SemanticIndex
from appliance.semantic.precheck import GuardMemo

log = logging.getLogger(__name__)
CANDIDATES = 5
MAX_SCOPE_ROWS = 5000


@dataclass(frozen=True)
class Upkeep:
    """How often queued entries are written, and the table compacted and purged.

    Each write adds a fragment that the scope index does not cover until the
    table is compacted, and searches slow down as those pile up (measured: 8 ms
    at 100,000 rows compacted, 15 ms after 50 small writes); compacting them
    takes about 60 ms, so it is done often.
    """

    flush_seconds: float = 0.2
    optimize_seconds: float = 30.0
    purge_seconds: float = 900.0


class SemanticCache:
    def __init__(
        self,
        embedder: Embedder,
        index: SemanticIndex,
        store: ExactStore,
        upkeep: Upkeep | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self._store = store
        self._upkeep = upkeep or Upkeep()
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._dead_keys: list[str] = []
        self._purge_at = clock() + self._upkeep.purge_seconds
        self._optimize_at = clock() + self._upkeep.optimize_seconds
        self._unoptimized = 0
        self.embedded_on_request = 0
        self.gated = 0
        self.guarded = 0
        self._guards = GuardMemo()

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="semantic-upkeep")

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        await self.flush()

    async def flush(self) -> int:
        """Embed what is waiting and make every queued entry searchable."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        written = await asyncio.to_thread(self.index.flush)
        self._unoptimized += written
        return written

    async def lookup(self, query: SemanticQuery, threshold: float) -> Entry | None:
        """The stored answer of the nearest entry the guards accept, if any."""
        if not servable(query.text) or not self.index.has_scope(query.scope):
            return None
        near = self.index.gate_texts(query.scope, query.text)
        if near is not None and not near:
            self.gated += 1
            log.debug("semantic lookup gated: no entry shares enough words")
            return None
        if near is not None and not self._guards.any_accepts(query.text, near):
            self.guarded += 1
            log.debug("semantic lookup refused by the guards before embedding")
            return None
        self.embedded_on_request += 1
        vector = await self.embedder.embed(query.text)
        candidates = self.index.search_in_memory(query.scope, vector, CANDIDATES)
        if candidates is None:
            candidates = await asyncio.to_thread(
                self.index.search, query.scope, vector, CANDIDATES
            )
        return await self._serve(query.text, candidates, threshold)

    async def _serve(
        self, text: str, candidates: list[Candidate], threshold: float
    ) -> Entry | None:
        remaining = list(candidates)
        while True:
            chosen = decide(text, remaining, threshold, self._guards.features)
            if chosen is None:
                return None
            entry = await self._store.fetch(chosen.entry_key)
            if entry is not None:
                log.debug("semantic hit at similarity %.4f", chosen.similarity)
                return entry
            self._dead_keys.append(chosen.entry_key)
            remaining.remove(chosen)

    def remember(
        self, query: SemanticQuery, workspace_id: str, entry_key: str, ttl: float
    ) -> None:
        """Embed and queue an entry in the background; the caller does not wait.
        A prompt the guards would never serve is not embedded at all."""
        if not servable(query.text):
            return
        task = asyncio.create_task(self._add(query, workspace_id, entry_key, ttl))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _add(
        self, query: SemanticQuery, workspace_id: str, entry_key: str, ttl: float
    ) -> None:
        try:
            vector = await self.embedder.embed(query.text, urgent=False)
        except Exception:
            log.exception("embedding a new semantic entry failed; it is not kept")
            return
        self._guards.features(query.text)  # read now, not on a later lookup
        self.index.add(
            NewEntry(
                scope=query.scope,
                workspace=workspace_id,
                vector=vector,
                entry_key=entry_key,
                text=query.text,
                ttl_seconds=ttl,
            )
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._upkeep.flush_seconds)
            try:
                await self.tend()
            except Exception:
                log.exception("semantic index upkeep failed; retrying later")

    async def tend(self) -> None:
        """Write queued entries, drop dangling ones, purge and compact when due."""
        if self.index.pending:
            self._unoptimized += await asyncio.to_thread(self.index.flush)
        if self._dead_keys:
            dead, self._dead_keys = self._dead_keys, []
            await asyncio.to_thread(self.index.delete_entry_keys, dead)
        now = self._clock()
        if now >= self._purge_at:
            self._purge_at = now + self._upkeep.purge_seconds
            removed = await asyncio.to_thread(self.index.purge_expired)
            # Search time grows with a scope's size: keep each to the newest rows.
            capped = await asyncio.to_thread(self.index.cap_scopes, MAX_SCOPE_ROWS)
            log.info(
                "semantic index: %d expired and %d oldest entries removed",
                removed,
                capped,
            )
        if now >= self._optimize_at and self._unoptimized:
            self._optimize_at = now + self._upkeep.optimize_seconds
            self._unoptimized = 0
            started = time.perf_counter()
            await asyncio.to_thread(self.index.optimize)
            log.debug(
                "semantic index compacted in %.0f ms",
                (time.perf_counter() - started) * 1000,
            )
