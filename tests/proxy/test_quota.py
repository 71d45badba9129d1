"""Monthly quotas and burst limits: exact under concurrency, 429 with Retry-After."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from appliance.pipeline.quota import Month, QuotaBook, period_of
from appliance.store import keys, workspaces

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


async def send_many(appliance, key: str, count: int) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(
        base_url=appliance.url, limits=limits, timeout=60
    ) as client:
        calls = [
            client.post(
                "/v1/chat/completions",
                json={**BODY, "messages": [{"role": "user", "content": f"Hi {i}"}]},
                headers={"x-proxy-key": key, "authorization": "Bearer sk"},
            )
            for i in range(count)
        ]
        return await asyncio.gather(*calls)


async def test_with_r_left_exactly_r_of_3r_concurrent_requests_succeed(appliance):
    ws_id, key = appliance.workspace()
    workspaces.set_plan(appliance.runtime.engine, ws_id, "custom", quota=12)
    appliance.runtime.keys.clear()
    responses = await send_many(appliance, key, 36)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 12
    assert statuses.count(429) == 24
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["x-optera-quota-remaining"] == "0"
    assert len(appliance.upstream.seen) == 12


async def test_quota_count_survives_a_restart(appliance_factory):
    first = appliance_factory()
    ws_id, key = first.workspace()
    workspaces.set_plan(first.runtime.engine, ws_id, "custom", quota=3)
    first.runtime.keys.clear()
    await send_many(first, key, 2)
    first.flush()
    fresh = QuotaBook(first.runtime.engine)
    assert fresh.used(ws_id, period_of(datetime.now(UTC))) == 2


async def test_records_quota_count_and_key_use_are_written_together(appliance):
    ws_id, key = appliance.workspace()
    engine = appliance.runtime.engine
    [issued] = keys.list_for(engine, ws_id)
    assert issued.last_used_at is None
    before = datetime.now(UTC)
    responses = await send_many(appliance, key, 3)
    assert [r.status_code for r in responses] == [200, 200, 200]
    appliance.flush()

    rows = [r for r in appliance.records() if r.workspace_id == ws_id]
    assert len(rows) == 3
    assert {r.key_id for r in rows} == {issued.id}
    assert QuotaBook(engine).used(ws_id, period_of(before)) == 3
    used_at = keys.get(engine, issued.id).last_used_at
    assert used_at is not None
    assert before - timedelta(seconds=1) <= used_at.replace(tzinfo=UTC)
    assert used_at.replace(tzinfo=UTC) <= datetime.now(UTC)


async def test_burst_limit_gives_429_with_retry_after(appliance):
    ws_id, key = appliance.workspace()
    workspaces.set_plan(appliance.runtime.engine, ws_id, "starter", burst=1.0)
    appliance.runtime.keys.clear()
    responses = await send_many(appliance, key, 8)
    statuses = [r.status_code for r in responses]
    # burst 1/s gives a bucket of 4: four pass at once, the rest wait.
    assert statuses.count(200) == 4
    limited = [r for r in responses if r.status_code == 429]
    assert len(limited) == 4
    assert all(r.json()["error"]["code"] == "burst_limit_exceeded" for r in limited)
    assert all(r.headers["retry-after"] == "1" for r in limited)


def test_plans_have_their_monthly_allowance(appliance):
    engine = appliance.runtime.engine
    plans = appliance.settings.plans
    for plan, expected in [
        ("starter", 100_000),
        ("growth", 500_000),
        ("enterprise", 5_000_000),
    ]:
        ws = workspaces.create(engine, f"ws-{plan}", plan)
        assert workspaces.plan_quota(ws, plans) == expected


def test_the_month_turns_at_midnight_utc_on_the_first():
    month = Month()
    last_second = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC).timestamp()
    new_year = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    assert month.at(datetime(2026, 12, 3, tzinfo=UTC).timestamp()) == (
        "2026-12",
        new_year,
    )
    assert month.at(last_second) == ("2026-12", new_year)
    february = int(datetime(2027, 2, 1, tzinfo=UTC).timestamp())
    assert month.at(new_year) == ("2027-01", february)
    # A clock set back is answered for the moment it gives, not the last one.
    assert month.at(last_second) == ("2026-12", new_year)
