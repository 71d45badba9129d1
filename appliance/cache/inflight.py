"""Single-flight: identical requests in flight at once go upstream once.

The first request for a key leads; the others wait for the leader's entry
and are served it as the same kind of hit the leader got (exact when the
leader went upstream, semantic when it found a near match). A leader that
fails settles with None, and
its followers then go upstream themselves. A follower stops waiting after a
time limit, in case its leader's answer was never read to the end. Flights
are per process: two appliance processes can each send the same request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from appliance.cache.store import Entry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Landing:
    """What a leader ended with: the entry, and the kind of hit it is for others."""

    entry: Entry
    kind: str = "exact"


class Flight:
    """One leader's promise of an entry for a key."""

    def __init__(self, key: str, flights: Flights) -> None:
        self.key = key
        self._flights = flights
        self._result: asyncio.Future[Landing | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.followers = 0

    @property
    def settled(self) -> bool:
        return self._result.done()

    def settle(self, entry: Entry | None, kind: str = "exact") -> None:
        """Hand the leader's entry (None when it failed) to every follower."""
        if not self._result.done():
            self._result.set_result(Landing(entry, kind) if entry else None)
        self._flights.land(self)

    async def wait(self) -> Landing | None:
        """The leader's entry; None when it failed or took too long."""
        self.followers += 1
        try:
            async with asyncio.timeout(self._flights.patience):
                return await asyncio.shield(self._result)
        except TimeoutError:
            log.warning("gave up waiting for an identical request in flight")
            self._flights.land(self)
            return None


class Flights:
    """Flights by cache key. Touched only from the event loop.

    `patience` is how many seconds a follower waits for its leader.
    """

    def __init__(self, patience: float) -> None:
        self.patience = patience
        self._flights: dict[str, Flight] = {}

    def __len__(self) -> int:
        return len(self._flights)

    def joinable(self, key: str) -> Flight | None:
        return self._flights.get(key)

    def lead(self, key: str) -> Flight | None:
        """A new flight for `key`, or None when one is already under way."""
        if key in self._flights:
            return None
        flight = self._flights[key] = Flight(key, self)
        return flight

    def land(self, flight: Flight) -> None:
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]
