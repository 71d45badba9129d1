"""Streams from cached answers, and cached answers from relayed streams.

A hit on a `stream: true` request is sent as a well-formed stream of the
caller's protocol; a streamed miss is assembled into the complete body a
non-streaming request would have got, so either kind of request can be
served from an entry either kind stored.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from appliance.cache import replay_anthropic, replay_openai
from appliance.providers.sse import SseParser
from appliance.providers.usage import Usage

log = logging.getLogger(__name__)


def stream_events(protocol: str, body: bytes, include_usage: bool) -> list[bytes]:
    """The SSE events that deliver the cached `body` as a stream."""
    parsed = json.loads(body)
    if protocol == "anthropic":
        return replay_anthropic.events_of(parsed)
    return replay_openai.chunks_of(parsed, include_usage)


def assemble(protocol: str, events: list[bytes], usage: Usage | None) -> bytes | None:
    """The complete JSON body of a finished stream, or None when it is not one."""
    parsed = SseParser().feed(b"".join(events))
    try:
        body: dict[str, Any] | None
        if protocol == "anthropic":
            body = replay_anthropic.body_of(parsed, usage)
        else:
            body = replay_openai.body_of(parsed, usage)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.warning("a relayed stream could not be assembled; it is not cached")
        return None
    if body is None:
        return None
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
