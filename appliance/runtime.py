"""The long-lived objects of one appliance process, built once at start-up.

Everything that holds a connection, a pool, a model or a counter lives on a
`Runtime`, which the app's lifespan opens and closes; nothing is global.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from appliance.cache.caches import Caches
from appliance.jobs.scheduler import start_scheduler
from appliance.pipeline.auth import KeyCache
from appliance.pipeline.quota import BurstLimiter, QuotaBook
from appliance.pricing.prices import Pricer
from appliance.providers.upstream import Upstream
from appliance.routing.loader import RouterSlot
from appliance.semantic.embedder import Embedder
from appliance.settings import Settings
from appliance.store.db import open_engine
from appliance.store.writer import UsageWriter
from appliance.tokens import TokenCounter

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    writer: UsageWriter
    upstream: Upstream
    pricer: Pricer
    keys: KeyCache
    quota: QuotaBook
    burst: BurstLimiter
    caches: Caches
    tokens: TokenCounter
    embedder: Embedder | None
    routers: RouterSlot
    _scheduler: AsyncIOScheduler | None = None
    _router_task: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        engine = open_engine(settings.data_path)
        embedder = None
        if settings.semantic.enabled or settings.routing.enabled:
            embedder = Embedder(settings.semantic, settings.data_path)
        return cls(
            settings=settings,
            engine=engine,
            writer=UsageWriter(engine),
            upstream=Upstream(settings.upstream),
            pricer=Pricer(settings.prices),
            keys=KeyCache(engine, settings.plans),
            quota=QuotaBook(engine),
            burst=BurstLimiter(settings.burst),
            caches=Caches.open(settings, engine, embedder),
            tokens=TokenCounter(),
            embedder=embedder,
            routers=RouterSlot(),
        )

    async def start(self) -> None:
        await asyncio.to_thread(self.tokens.preload)
        self.writer.start()
        self._scheduler = start_scheduler(self)
        if self.settings.routing.enabled and self.embedder is not None:
            routing = self.settings.routing
            self._router_task = asyncio.create_task(
                self.routers.load(
                    routing.models_file,
                    routing.examples_file,
                    self.embedder,
                    self.tokens,
                ),
                name="router-load",
            )
        self.caches.start()

    async def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._router_task is not None:
            await asyncio.gather(self._router_task, return_exceptions=True)
        await self.writer.stop()
        await self.caches.close()
        await self.upstream.aclose()
        if self.embedder is not None:
            self.embedder.close()
        self.engine.dispose()
        log.info("runtime closed; %d usage records written", self.writer.written)
