"""Incremental Server-Sent Events parser for metering relayed streams.

Bytes go in as the network delivers them; complete events come out with
their exact raw bytes, so a relay can pass events on untouched.
"""

from __future__ import annotations

from typing import NamedTuple


class SseEvent(NamedTuple):
    """One event; a tuple, as one is made for every event of every stream."""

    event: str | None
    data: str
    raw: bytes


class SseParser:
    """Splits a byte stream into events; comments and pings are kept in `raw`."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Add bytes; return the events completed by them."""
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:
            return self._feed_any_line_ends(buffer)
        # Almost every upstream ends lines with LF alone: one scan, no rescans.
        events: list[SseEvent] = []
        start = 0
        while (end := buffer.find(b"\n\n", start)) >= 0:
            events.append(_parse_event(buffer[start : end + 2]))
            start = end + 2
        self._buffer = buffer[start:]
        return events

    def _feed_any_line_ends(self, buffer: bytes) -> list[SseEvent]:
        events: list[SseEvent] = []
        while True:
            end, sep_len = _event_end(buffer)
            if end < 0:
                self._buffer = buffer
                return events
            events.append(_parse_event(buffer[: end + sep_len]))
            buffer = buffer[end + sep_len :]

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
    if raw.startswith(b"data: ") and raw.find(b"\n", 6) == len(raw) - 2:
        # One data line and nothing else: the shape of nearly every event.
        return SseEvent(None, raw[6:-2].decode("utf-8", errors="replace"), raw)
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
