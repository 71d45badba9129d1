"""Runs the leak scan every `[leaks] interval_seconds`, off the event loop."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from appliance.jobs.scan import scan_job
from appliance.settings import LeakSettings

if TYPE_CHECKING:
    from appliance.runtime import Runtime

JOB_ID = "leak-scan"


def start_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Start the scheduler on the running loop; call `shutdown()` on the way out.

    With `[leaks] enabled = false` it starts with no job.
    """
    scheduler = build_scheduler(runtime.engine, runtime.settings.leaks)
    scheduler.start()
    return scheduler


def build_scheduler(engine: Engine, settings: LeakSettings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)
    if settings.enabled:
        scheduler.add_job(
            _scan,
            IntervalTrigger(seconds=settings.interval_seconds, timezone=UTC),
            args=[engine, settings],
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=settings.interval_seconds,
        )
    return scheduler


async def _scan(engine: Engine, settings: LeakSettings) -> None:
    """A scan is SQLite work for a second or more: it runs in a worker thread."""
    await asyncio.to_thread(scan_job, engine, settings)
