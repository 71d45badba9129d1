"""Live request events: each usage record, as it is queued, sent to SSE clients.

The usage writer calls the hub synchronously for every record; the hub turns
it into one small JSON event (never the prompt) and hands it to each client's
queue on that client's event loop. A client that falls behind loses its
oldest events rather than growing memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from appliance.store.models import RecordView, UsageRecord

log = logging.getLogger(__name__)
PING_SECONDS = 15.0
QUEUE_SIZE = 1000


def event_of(record: UsageRecord | RecordView) -> dict[str, Any]:
    """The public facts of a completed request: tags, model, status, savings."""
    return {
        "request_id": record.request_id,
        "time": record.created_at.isoformat(),
        "workspace_id": record.workspace_id,
        "key_id": record.key_id,
        "feature_tag": record.feature_tag,
        "team_tag": record.team_tag,
        "user_tag": record.user_tag,
        "model": record.sent_model,
        "original_model": record.original_model,
        "status": record.status,
        "cache": record.cache,
        "streamed": record.streamed,
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "tokens_saved": record.tokens_saved,
        "cost_usd": str(record.cost_usd),
        "cost_saved_usd": str(record.cost_saved_usd),
        "latency_ms": record.latency_ms,
        "optimizations": [n for n in record.optimizations.split(",") if n],
        "error_type": record.error_type,
    }


@dataclass
class Listener:
    """One SSE client: its queue and the loop that reads it."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[str | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: int = 0

    def put(self, data: str | None) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(data)


class EventHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, record: UsageRecord | RecordView) -> None:
        """The usage writer's listener: one JSON event to every client."""
        if not self._listeners:
            return
        data = json.dumps(event_of(record), separators=(",", ":"))
        for listener in list(self._listeners):
            listener.loop.call_soon_threadsafe(listener.put, data)

    def open(self) -> Listener:
        listener = Listener(asyncio.get_running_loop())
        self._listeners.append(listener)
        return listener

    def close(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close_all(self) -> None:
        """End every open stream (at shutdown, so streams do not hold it up)."""
        for listener in list(self._listeners):
            listener.loop.call_soon_threadsafe(listener.put, None)


async def stream(
    hub: EventHub, ping_seconds: float
) -> AsyncIterator[ServerSentEventMessage]:
    """`: connected`, then one `request` event per record and `: ping` when idle."""
    listener = hub.open()
    try:
        yield ServerSentEventMessage(data=None, comment="connected")
        while True:
            try:
                data = await asyncio.wait_for(listener.queue.get(), ping_seconds)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="ping")
                continue
            if data is None:
                return
            yield ServerSentEventMessage(data=data, event="request")
    finally:
        hub.close(listener)
        if listener.dropped:
            log.info("event stream closed; %d events dropped", listener.dropped)


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get(sync_to_thread=False)
    def events(self, hub: NamedDependency[EventHub]) -> ServerSentEvent:
        """Server-sent events: `event: request` with JSON data per completed request."""
        return ServerSentEvent(
            stream(hub, PING_SECONDS), headers={"cache-control": "no-cache"}
        )
