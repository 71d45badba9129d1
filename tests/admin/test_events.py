"""The live event stream: one event per completed request, never the prompt."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import httpx

from appliance.admin.events import QUEUE_SIZE, EventHub, Listener, stream
from appliance.store.models import UsageRecord

SECRET = "the prompt text that must never leave"


def read_event(lines) -> dict:  # type: ignore[no-untyped-def]
    """The data of the next `event: request` on an SSE line iterator."""
    kind = None
    for line in lines:
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind == "request":
            return json.loads(line.removeprefix("data: "))
    raise AssertionError("stream ended without an event")


def test_stream_receives_a_proxied_request(stack):
    with stack.admin() as api:
        ws = api.post("/workspaces", json={"name": "acme"}).json()["id"]
        api.post(f"/workspaces/{ws}/subscription/activate")
        issued = api.post(f"/workspaces/{ws}/keys").json()
        with api.stream("GET", "/events") as events:
            assert events.status_code == 200
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.iter_lines()
            assert next(lines) == ": connected"
            client = stack.openai(
                issued["key"], **{"x-feature-tag": "chat", "x-team-tag": "core"}
            )
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": SECRET}]
            )
            event = read_event(lines)
    assert event["workspace_id"] == ws
    assert event["key_id"] == issued["id"]
    assert (event["feature_tag"], event["team_tag"], event["user_tag"]) == (
        "chat",
        "core",
        None,
    )
    assert (event["model"], event["original_model"]) == ("gpt-4o", "gpt-4o")
    assert (event["status"], event["cache"]) == (200, "miss")
    assert Decimal(event["cost_usd"]) == Decimal("0.006")
    assert Decimal(event["cost_saved_usd"]) == 0
    assert event["request_id"].startswith("req_")
    assert event["latency_ms"] > 0
    assert SECRET not in json.dumps(event)


def test_closed_stream_unsubscribes(stack):
    with (
        stack.admin() as api,
        api.stream("GET", "/events") as events,
    ):
        assert next(events.iter_lines()) == ": connected"
    # A gone client is noticed on the next write at the latest: one ping interval.
    deadline = time.monotonic() + 20
    while stack.hub.listeners and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.hub.listeners == 0


def test_events_need_the_admin_token(stack):
    response = httpx.get(stack.admin_url + "/admin/v1/events", timeout=5)
    assert response.status_code == 401


async def test_idle_stream_pings_and_ends_on_close():
    hub = EventHub()
    events = stream(hub, ping_seconds=0.05)
    assert (await anext(events)).comment == "connected"
    assert (await anext(events)).comment == "ping"
    hub.publish(UsageRecord(request_id="req_1", workspace_id="ws_1", status=200))
    message = await anext(events)
    assert message.event == "request"
    assert json.loads(str(message.data))["request_id"] == "req_1"
    hub.close_all()
    assert [m async for m in events] == []
    assert hub.listeners == 0


async def test_slow_listener_drops_its_oldest_events():
    listener = Listener(asyncio.get_running_loop())
    for number in range(QUEUE_SIZE + 3):
        listener.put(str(number))
    assert listener.dropped == 3
    assert listener.queue.qsize() == QUEUE_SIZE
    assert listener.queue.get_nowait() == "3"
