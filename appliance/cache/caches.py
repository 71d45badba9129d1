"""The cache's long-lived parts, built once at start-up and handed to the step."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from appliance.cache.embeddings import TokenWeights
from appliance.cache.inflight import Flights
from appliance.cache.semantic import SemanticCache
from appliance.cache.store import ExactStore, Limits
from appliance.semantic.embedder import Embedder
from appliance.semantic.index import SemanticIndex
from appliance.settings import Settings

log = logging.getLogger(__name__)
MEGABYTE = 1024 * 1024
INDEX_DIR = "semantic"


@dataclass
class Caches:
    settings: Settings
    store: ExactStore
    flights: Flights
    weights: TokenWeights
    semantic: SemanticCache | None = None

    @classmethod
    def open(
        cls, settings: Settings, engine: Engine | None, embedder: Embedder | None = None
    ) -> Caches:
        """The caches; the semantic one only when enabled, on the runtime's
        `embedder` (which the runtime owns and closes)."""
        limits = Limits(
            max_entries=settings.cache.max_entries,
            max_bytes=settings.cache.max_megabytes * MEGABYTE,
        )
        store = ExactStore(engine, limits)
        caches = cls(
            settings=settings,
            store=store,
            flights=Flights(settings.cache.inflight_wait_seconds),
            weights=TokenWeights(),
        )
        if settings.semantic.enabled:
            if embedder is None:
                raise ValueError("the semantic cache needs an embedder")
            index = SemanticIndex.open(
                settings.data_path / INDEX_DIR,
                embedder.dim,
                mirror_rows=settings.semantic.mirror_rows,
                word_overlap=settings.semantic.word_overlap,
            )
            caches.semantic = SemanticCache(embedder, index, store)
        return caches

    async def forget_workspace(self, workspace_id: str) -> None:
        """Drop every cached answer and semantic entry of a deleted workspace."""
        self.store.delete_workspace(workspace_id)
        if self.semantic is not None:
            await asyncio.to_thread(self.semantic.index.delete_workspace, workspace_id)

    def start(self) -> None:
        self.store.start()
        if self.semantic is not None:
            self.semantic.start()

    async def close(self) -> None:
        if self.semantic is not None:
            await self.semantic.close()
        await self.store.close()
        log.info("exact cache closed with %d entries in memory", len(self.store))
