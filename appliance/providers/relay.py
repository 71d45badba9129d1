"""Relays an upstream SSE stream to the caller chunk by chunk while metering it.

The relayed bytes are the upstream's own; the one exception is the usage
event Optera asked for on the caller's behalf, dropped again when the caller
did not ask for it. A metering failure never breaks the stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from appliance.providers.base import StreamMeter
from appliance.providers.sse import SseParser

log = logging.getLogger(__name__)

StreamEnd = Callable[[StreamMeter, bool, list[bytes], str | None], Awaitable[None]]
FailureEvent = Callable[[str], bytes]


class StreamDeadline(Exception):
    """The stream ran past its total time limit."""


async def relay(
    response: httpx.Response,
    meter: StreamMeter,
    on_end: StreamEnd,
    *,
    filtering: bool,
    deadline: float,
    failure_event: FailureEvent,
    encoded: bool = False,
) -> AsyncIterator[bytes]:
    """Yield the upstream's bytes; call `on_end(meter, aborted, events, error)` once.

    When the upstream stalls or breaks after the first byte, the status has
    gone out already: the stream ends with one error event of the protocol
    (`failure_event(code)`) so that the caller's SDK raises instead of
    taking a cut-off answer for a whole one.

    `events` holds the raw bytes of every event read, the dropped usage event
    included, for a cache to keep.
    With `filtering`, bytes go out at event boundaries so that one event can
    be dropped; otherwise each network read goes out as it came. An `encoded`
    stream (an upstream that compressed it though asked not to) is decoded
    first: it goes out without its Content-Encoding, and must be read to be
    metered.
    """
    parser = SseParser()
    kept: list[bytes] = []
    aborted = True
    error: str | None = None
    try:
        try:
            async for chunk in _raw(response, encoded):
                if time.monotonic() > deadline:
                    raise StreamDeadline
                passed = _observe(parser, meter, chunk, kept)
                out = passed if filtering else chunk
                if out:
                    yield out
        except (httpx.TransportError, httpx.DecodingError, StreamDeadline) as failure:
            error = _failure_code(failure)
            log.warning("upstream stream failed mid-way: %s", error)
            # A blank line first ends any event the upstream left half-sent.
            yield b"\n\n" + failure_event(error)
        else:
            tail = parser.pending()
            if filtering and tail:
                yield tail
            aborted = not meter.complete
    finally:
        await response.aclose()
        try:
            await on_end(meter, aborted, kept, error)
        except Exception:
            log.exception("stream end handler failed")


def _raw(response: httpx.Response, encoded: bool) -> AsyncIterator[bytes]:
    """The bytes as they came off the wire, decoded if `encoded`. Else the
    transport's own stream when it has one: httpx's aiter_raw re-chunks and
    counts every read, for nothing here, as it passes them on."""
    if encoded:
        return response.aiter_bytes()
    stream = response.stream
    if isinstance(stream, httpx.AsyncByteStream):
        return stream.__aiter__()
    return response.aiter_raw()


def _observe(
    parser: SseParser, meter: StreamMeter, chunk: bytes, kept: list[bytes]
) -> bytes:
    """Meter the events completed by `chunk`; return the bytes to pass on."""
    try:
        events = parser.feed(chunk)
    except Exception:
        log.exception("stream parse failed; relaying unparsed")
        return chunk
    out = b""
    for event in events:
        try:
            keep = meter.observe(event)
        except Exception:
            log.exception("stream meter failed on one event")
            keep = True
        kept.append(event.raw)
        if keep:
            out += event.raw
    return out


def _failure_code(failure: Exception) -> str:
    if isinstance(failure, StreamDeadline | httpx.TimeoutException):
        return "upstream_timeout"
    return "upstream_unreachable"
