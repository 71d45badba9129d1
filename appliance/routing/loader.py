"""Builds the router off the request path: its examples are embedded at start-up.

Until the router is ready (about a second on an idle machine) requests are
simply not routed.
"""

from __future__ import annotations

import asyncio
import logging
import time

from appliance.routing.files import examples_file, models_file
from appliance.routing.router import PromptCounter, Router, SyncEmbedder, build_router

log = logging.getLogger(__name__)


class RouterSlot:
    """Holds the router once it is built; `router` is None until then."""

    def __init__(self) -> None:
        self.router: Router | None = None
        self.ready = asyncio.Event()

    async def load(
        self,
        models: str | None,
        examples: str | None,
        embedder: SyncEmbedder,
        tokens: PromptCounter,
    ) -> None:
        began = time.perf_counter()
        try:
            self.router = await asyncio.to_thread(
                build_router,
                models_file(models),
                examples_file(examples),
                embedder,
                tokens,
            )
        except Exception:
            log.exception("routing could not start; requests go unrouted")
            return
        finally:
            self.ready.set()
        log.info("router ready in %.1f s", time.perf_counter() - began)
