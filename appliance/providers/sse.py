"""Incremental Server-Sent Events parser for metering relayed streams.

Bytes go in as the network delivers them; complete events come out with
their exact raw bytes, so a relay can pass events on untouched.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    event: str | None
    data: str
    raw: bytes


class SseParser:
    """Splits a byte stream into events; comments and pings are kept in `raw`."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Add bytes; return the events completed by them."""
        self._buffer += chunk
        events: list[SseEvent] = []
        while True:
            end, sep_len = _event_end(self._buffer)
            if end < 0:
                return events
            raw = self._buffer[: end + sep_len]
            self._buffer = self._buffer[end + sep_len :]
            events.append(_parse_event(raw))

    def pending(self) -> bytes:
        """Bytes of an event not yet complete."""
        return self._buffer


def _event_end(buffer: bytes) -> tuple[int, int]:
    """Index and length of the first blank-line separator, or (-1, 0)."""
    best = (-1, 0)
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        index = buffer.find(sep)
        if index >= 0 and (best[0] < 0 or index < best[0]):
            best = (index, len(sep))
    return best


def _parse_event(raw: bytes) -> SseEvent:
    text = raw.decode("utf-8", errors="replace")
    name: str | None = None
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return SseEvent(event=name, data="\n".join(data), raw=raw)
