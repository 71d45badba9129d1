"""What the live event stream has shown so far: recent requests and their rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from textual.message import Message

from tui.models import RequestEvent

KEPT = 200
RATE_WINDOW_S = 10.0
# Live views redraw at most this often: a busy stream costs a few frames a
# second, not one per request.
REDRAW_S = 0.5


@dataclass
class LiveFeed:
    """The latest requests, and when each request of the rate window arrived."""

    events: deque[RequestEvent] = field(default_factory=lambda: deque(maxlen=KEPT))
    arrivals: deque[tuple[float, str | None]] = field(default_factory=deque)
    total: int = 0

    def add(self, event: RequestEvent, now: float) -> None:
        self.events.append(event)
        self.arrivals.append((now, event.workspace_id))
        self.total += 1
        self._forget(now)

    def rate(self, now: float, workspace_id: str | None = None) -> float:
        """Requests a second over the last RATE_WINDOW_S, of one workspace or all."""
        self._forget(now)
        recent = sum(
            1
            for _, workspace in self.arrivals
            if workspace_id is None or workspace == workspace_id
        )
        return recent / RATE_WINDOW_S

    def latest(self, limit: int, workspace_id: str | None = None) -> list[RequestEvent]:
        """The newest requests first, of one workspace or of all."""
        events = [
            event
            for event in reversed(self.events)
            if workspace_id is None or event.workspace_id == workspace_id
        ]
        return events[:limit]

    def _forget(self, now: float) -> None:
        while self.arrivals and now - self.arrivals[0][0] > RATE_WINDOW_S:
            self.arrivals.popleft()


class RequestSeen(Message, bubble=False):
    """Posted to each open screen when the event stream reports a request."""

    def __init__(self, event: RequestEvent) -> None:
        super().__init__()
        self.event = event
