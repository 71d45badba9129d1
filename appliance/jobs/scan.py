"""One leak scan: every detector over recent usage records, folded into findings.

A scan reads whole minutes only, up to a little before now, and a finding
counts each minute once; re-running a scan therefore adds nothing new.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from appliance.jobs import cost_spike, oversized, retries, runaway
from appliance.jobs.context_windows import ContextWindows
from appliance.jobs.sighting import minute_of
from appliance.routing.files import models_file
from appliance.settings import LeakSettings
from appliance.store import findings
from appliance.store.findings import Outcome, Sighting
from appliance.store.scan_queries import Period

log = logging.getLogger(__name__)
# Usage records reach the database a moment after their request ends; the
# newest seconds are left for the next scan so no minute is counted half-full.
SETTLE = timedelta(seconds=10)


def scan_period(settings: LeakSettings, now: datetime) -> Period:
    """The whole minutes a scan at `now` reads."""
    until = minute_of(now.astimezone(UTC) - SETTLE)
    return Period(until - timedelta(minutes=settings.window_minutes), until)


def run_scan(
    engine: Engine, settings: LeakSettings, now: datetime | None = None
) -> list[Outcome]:
    """Scan once; the findings opened, updated or seen again."""
    now = now or datetime.now(UTC)
    period = scan_period(settings, now)
    started = time.perf_counter()
    log.info("leak scan started over %s .. %s", period.since, period.until)
    sightings = detect(engine, settings, period)
    outcomes = [
        outcome
        for sighting in sightings
        if (outcome := findings.record(engine, sighting, period.until, now))
    ]
    opened = sum(outcome.action == "opened" for outcome in outcomes)
    log.info(
        "leak scan finished in %.2fs: %d patterns seen, %d findings opened, %d updated",
        time.perf_counter() - started,
        len(sightings),
        opened,
        sum(outcome.action == "updated" for outcome in outcomes),
    )
    return outcomes


def detect(engine: Engine, settings: LeakSettings, period: Period) -> list[Sighting]:
    """Every detector's sightings over `period`."""
    windows = ContextWindows.load(models_file(settings.oversized_context.models_file))
    loop_per_minute = settings.runaway_prompt.loop_per_minute
    return [
        *runaway.detect(engine, period, settings.runaway_prompt),
        *oversized.detect(engine, period, settings.oversized_context, windows),
        *retries.detect(engine, period, settings.retry, loop_per_minute),
        *cost_spike.detect(engine, period.until, settings.cost_spike),
    ]


def scan_job(engine: Engine, settings: LeakSettings) -> None:
    """The scheduled job: one scan, its failure logged with the traceback."""
    started = time.perf_counter()
    try:
        run_scan(engine, settings)
    except Exception:
        log.exception("leak scan failed after %.2fs", time.perf_counter() - started)
