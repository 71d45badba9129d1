"""The cache's long-lived parts, built once at start-up and handed to the step."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from appliance.cache.embeddings import TokenWeights
from appliance.cache.inflight import Flights
from appliance.cache.store import ExactStore, Limits
from appliance.settings import Settings

log = logging.getLogger(__name__)
MEGABYTE = 1024 * 1024


@dataclass
class Caches:
    settings: Settings
    store: ExactStore
    flights: Flights
    weights: TokenWeights

    @classmethod
    def open(cls, settings: Settings, engine: Engine | None) -> Caches:
        limits = Limits(
            max_entries=settings.cache.max_entries,
            max_bytes=settings.cache.max_megabytes * MEGABYTE,
        )
        return cls(
            settings=settings,
            store=ExactStore(engine, limits),
            flights=Flights(settings.cache.inflight_wait_seconds),
            weights=TokenWeights(),
        )

    def start(self) -> None:
        self.store.start()

    async def close(self) -> None:
        await self.store.close()
        log.info("exact cache closed with %d entries in memory", len(self.store))
