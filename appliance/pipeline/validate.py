"""Validate step: the body is JSON of a shape the provider would accept.

Only the fields Optera reads are checked; everything else passes untouched.
"""

from __future__ import annotations

import hashlib
import json

from appliance.cache.policy import request_ttl
from appliance.errors import BodyTooLarge, InvalidRequest
from appliance.pipeline.context import Exchange, Next, Reply
from appliance.providers.base import parse_json_body

# The x-optera-* request controls that switch one step on or off.
SWITCHES = ("cache", "compress", "route")
# Built once: json.dumps with options builds an encoder on every call.
CANONICAL = json.JSONEncoder(sort_keys=True, default=str)


class ValidateStep:
    def __init__(self, max_body_bytes: int) -> None:
        self._max = max_body_bytes

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        _check_controls(ex.controls)
        if len(ex.raw_body) > self._max:
            raise BodyTooLarge(
                f"The request body is over the limit of {self._max} bytes."
            )
        if ex.is_chat and ex.method == "POST":
            ex.body = parse_json_body(ex.raw_body)
            ex.fmt.validate_chat(ex.body)
            ex.stream = ex.body.get("stream") is True
        elif ex.method == "POST" and ex.raw_body and not ex.raw_body.isspace():
            ex.body = _maybe_json(ex)
            ex.stream = ex.body is not None and ex.body.get("stream") is True
        ex.original_model = ex.model
        ex.fingerprint = hashlib.sha256(ex.raw_body).hexdigest()[:32]
        ex.conversation_fingerprint = _conversation(ex)
        return await call_next(ex)


def _check_controls(controls: dict[str, str]) -> None:
    """Controls are checked before quota, like the body. An on/off control
    with another value is a mistake worth telling: taken as "on", it would
    silently not do what its sender meant."""
    if "cache-ttl" in controls:
        request_ttl(controls["cache-ttl"])
    for name in SWITCHES:
        value = controls.get(name)
        if value is not None and value not in ("on", "off"):
            raise InvalidRequest(
                f"x-optera-{name} must be 'on' or 'off', not {value[:40]!r}."
            )


def _maybe_json(ex: Exchange) -> dict | None:
    """Passed-through endpoints are parsed only to learn the model."""
    try:
        return parse_json_body(ex.raw_body)
    except InvalidRequest:
        return None


def _conversation(ex: Exchange) -> str | None:
    """Names one conversation: its model, system prompt and first message."""
    if ex.body is None or not isinstance(ex.body.get("messages"), list):
        return None
    messages = ex.body["messages"]
    opening = [ex.body.get("model"), ex.body.get("system"), messages[:1]]
    text = CANONICAL.encode(opening)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
