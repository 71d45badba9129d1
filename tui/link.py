"""The state of the TUI's connection to the admin API, as shown on every screen."""

from __future__ import annotations

from dataclasses import dataclass

CONNECTING = "connecting"
ONLINE = "online"
OFFLINE = "offline"
REFUSED = "refused"


@dataclass(frozen=True)
class Link:
    state: str
    message: str

    @property
    def online(self) -> bool:
        return self.state == ONLINE
