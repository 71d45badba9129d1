"""The scheduler: the scan every interval, in a thread, failures logged."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlmodel import create_engine

from appliance.jobs.scan import scan_job
from appliance.jobs.scheduler import JOB_ID, start_scheduler
from appliance.jobs.sighting import minute_of
from appliance.settings import Settings
from appliance.store import findings
from tests.jobs.history import History


def runtime_for(engine, leaks, **changes):  # type: ignore[no-untyped-def]
    settings = Settings(leaks=leaks.model_copy(update=changes))
    return SimpleNamespace(engine=engine, settings=settings)


async def test_scan_is_scheduled_every_interval(engine, leaks):
    scheduler = start_scheduler(runtime_for(engine, leaks, interval_seconds=120))
    try:
        job = scheduler.get_job(JOB_ID)
        assert job.trigger.interval == timedelta(seconds=120)
        assert job.max_instances == 1
        assert job.next_run_time > datetime.now(UTC) + timedelta(seconds=100)
    finally:
        scheduler.shutdown(wait=False)


async def test_no_scan_is_scheduled_when_disabled(engine, leaks):
    scheduler = start_scheduler(runtime_for(engine, leaks, enabled=False))
    try:
        assert scheduler.running
        assert scheduler.get_jobs() == []
    finally:
        scheduler.shutdown(wait=False)


async def test_scheduled_scan_records_findings(engine, history: History, leaks):
    minute = minute_of(datetime.now(UTC)) - timedelta(minutes=3)
    history.add(
        history.record(minute + timedelta(seconds=2 * n), conversation_hash="c-loop")
        for n in range(12)
    )
    scheduler = start_scheduler(runtime_for(engine, leaks))
    try:
        scheduler.get_job(JOB_ID).modify(next_run_time=datetime.now(UTC))
        for _ in range(100):
            if findings.list_findings(engine):
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)

    found = findings.list_findings(engine)
    assert [(f.pattern, f.count) for f in found] == [("runaway_prompt", 12)]


def test_a_failing_scan_is_logged_with_its_traceback(leaks, caplog):
    empty = create_engine("sqlite://")

    with caplog.at_level(logging.INFO, logger="appliance.jobs.scan"):
        scan_job(empty, leaks)

    failed = [r for r in caplog.records if r.message.startswith("leak scan failed")]
    assert len(failed) == 1
    assert failed[0].exc_info is not None
    assert "no such table" in str(failed[0].exc_info[1])
    assert caplog.records[0].message.startswith("leak scan started")
