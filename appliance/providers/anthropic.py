"""Anthropic's wire format: messages requests, usage, errors, stream events."""

from __future__ import annotations

import json
from typing import Any

from appliance.errors import InvalidRequest, OpteraError
from appliance.providers.base import (
    ProviderFormat,
    StreamMeter,
    check_parts,
    require_messages,
    require_model,
)
from appliance.providers.sse import SseEvent
from appliance.providers.usage import Usage, anthropic_usage

STREAM_FAILURE = "The upstream stream broke off before it finished."


class AnthropicStreamMeter(StreamMeter):
    """message_start carries the prompt usage, message_delta the output so far."""

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.complete = False
        self._start: dict[str, Any] = {}
        self._delta: dict[str, Any] = {}

    def observe(self, event: SseEvent) -> bool:
        if event.event == "message_stop":
            self.complete = True
            return True
        if event.event not in ("message_start", "message_delta"):
            return True
        try:
            payload = json.loads(event.data)
        except json.JSONDecodeError:
            return True
        if not isinstance(payload, dict):
            return True
        if event.event == "message_start":
            message = payload.get("message") or {}
            self._start = dict(message.get("usage") or {})
        else:
            self._delta = dict(payload.get("usage") or {})
        self.usage = anthropic_usage({**self._start, **_present(self._delta)})
        return True


def _present(usage: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in usage.items() if value is not None}


class AnthropicFormat(ProviderFormat):
    name = "anthropic"
    chat_path = "/v1/messages"

    def validate_chat(self, body: dict[str, Any]) -> None:
        require_model(body)
        max_tokens = body.get("max_tokens")
        if (
            not isinstance(max_tokens, int)
            or isinstance(max_tokens, bool)
            or max_tokens < 1
        ):
            raise InvalidRequest("max_tokens: Field required (a positive integer).")
        for index, message in enumerate(require_messages(body)):
            where = f"messages.{index}"
            if not isinstance(message, dict):
                raise InvalidRequest(f"{where}: must be an object.")
            if message.get("role") not in ("user", "assistant"):
                raise InvalidRequest(f"{where}.role: must be 'user' or 'assistant'.")
            check_parts(message.get("content"), where)
        system = body.get("system")
        if system is not None:
            check_parts(system, "system")
        if "stream" in body and not isinstance(body["stream"], bool):
            raise InvalidRequest("stream: must be a boolean.")

    def error_body(self, error: OpteraError) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": error.kind, "message": error.message},
        }

    def stream_error(self, code: str) -> bytes:
        kind = "timeout_error" if code == "upstream_timeout" else "api_error"
        error = {"type": "error", "error": {"type": kind, "message": STREAM_FAILURE}}
        return b"event: error\ndata: " + json.dumps(error).encode() + b"\n\n"

    def usage(self, body: dict[str, Any]) -> Usage | None:
        return anthropic_usage(body.get("usage"))

    def stream_meter(self, strip_usage_chunk: bool) -> StreamMeter:
        return AnthropicStreamMeter()

    def upstream_headers(
        self, incoming: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        headers = super().upstream_headers(incoming)
        if not any(name == b"anthropic-version" for name, _ in headers):
            headers.append((b"anthropic-version", b"2023-06-01"))
        return headers
