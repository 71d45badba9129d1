"""What the live event stream has shown so far: recent requests and their rate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from textual.message import Message

from tui.models import RequestEvent

KEPT = 200
RATE_WINDOW_S = 10.0


@dataclass
class LiveFeed:
    """Recent requests with the monotonic time each arrived at the TUI."""

    seen: deque[tuple[float, RequestEvent]] = field(
        default_factory=lambda: deque(maxlen=KEPT)
    )
    total: int = 0

    def add(self, event: RequestEvent, now: float) -> None:
        self.seen.append((now, event))
        self.total += 1

    def rate(
        self, now: float, workspace_id: str | None = None, window: float = RATE_WINDOW_S
    ) -> float:
        """Requests a second over the last `window` seconds, of one workspace or all."""
        recent = sum(
            1
            for arrived, event in self.seen
            if now - arrived <= window
            and (workspace_id is None or event.workspace_id == workspace_id)
        )
        return recent / window

    def latest(self, limit: int, workspace_id: str | None = None) -> list[RequestEvent]:
        """The newest requests first, of one workspace or of all."""
        events = [
            event
            for _, event in reversed(self.seen)
            if workspace_id is None or event.workspace_id == workspace_id
        ]
        return events[:limit]


class RequestSeen(Message, bubble=False):
    """Posted to each open screen when the event stream reports a request."""

    def __init__(self, event: RequestEvent) -> None:
        super().__init__()
        self.event = event
