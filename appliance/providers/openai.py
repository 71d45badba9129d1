"""OpenAI's wire format: chat completions requests, usage, errors, stream chunks."""

from __future__ import annotations

import json
import re
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
from appliance.providers.usage import Usage, openai_usage

USAGE_VALUE = re.compile(r'"usage"\s*+:\s*+(?!null)')
STREAM_FAILURE = "The upstream stream broke off before it finished."


class OpenAIStreamMeter(StreamMeter):
    def __init__(self, strip_usage_chunk: bool) -> None:
        self.strip_usage_chunk = strip_usage_chunk
        self.usage: Usage | None = None
        self.complete = False

    def observe(self, event: SseEvent) -> bool:
        if event.data == "[DONE]":
            self.complete = True
            return True
        if not carries_usage(event.data):
            return True
        try:
            chunk = json.loads(event.data)
        except json.JSONDecodeError:
            return True
        if not isinstance(chunk, dict):
            return True
        usage = openai_usage(chunk.get("usage"))
        if usage is None:
            return True
        self.usage = usage
        usage_only = chunk.get("choices") == []
        return not (self.strip_usage_chunk and usage_only)


def carries_usage(data: str) -> bool:
    """Whether a chunk may hold usage: a "usage" key whose value is not null.
    Content chunks (`"usage": null` once usage is asked for) are then not
    parsed at all. The key cannot be faked by the model's text, where a quote
    is escaped."""
    return USAGE_VALUE.search(data) is not None


# Error kinds named as Anthropic names them, and OpenAI's word for each.
OPENAI_KINDS = {
    "not_found_error": "invalid_request_error",
    "request_too_large": "invalid_request_error",
}


class OpenAIFormat(ProviderFormat):
    name = "openai"
    chat_path = "/v1/chat/completions"

    def validate_chat(self, body: dict[str, Any]) -> None:
        require_model(body)
        for index, message in enumerate(require_messages(body)):
            where = f"messages[{index}]"
            if not isinstance(message, dict):
                raise InvalidRequest(f"{where} must be an object.")
            if not isinstance(message.get("role"), str):
                raise InvalidRequest(f"{where}.role is required and must be a string.")
            content = message.get("content")
            if content is None and message["role"] in ("assistant", "function"):
                continue
            check_parts(content, where)
        if "stream" in body and not isinstance(body["stream"], bool):
            raise InvalidRequest("'stream' must be a boolean.")
        options = body.get("stream_options")
        if options is not None and not isinstance(options, dict):
            raise InvalidRequest("'stream_options' must be an object.")

    def error_body(self, error: OpteraError) -> dict[str, Any]:
        return {
            "error": {
                "message": error.message,
                "type": OPENAI_KINDS.get(error.kind, error.kind),
                "param": None,
                "code": error.code,
            }
        }

    def stream_error(self, code: str) -> bytes:
        error = {
            "message": STREAM_FAILURE,
            "type": "api_error",
            "param": None,
            "code": code,
        }
        return b"data: " + json.dumps({"error": error}).encode() + b"\n\n"

    def usage(self, body: dict[str, Any]) -> Usage | None:
        return openai_usage(body.get("usage"))

    def stream_meter(self, strip_usage_chunk: bool) -> StreamMeter:
        return OpenAIStreamMeter(strip_usage_chunk)

    def prepare_stream(self, body: dict[str, Any]) -> bool:
        options = body.get("stream_options")
        if isinstance(options, dict) and options.get("include_usage") is True:
            return False
        body["stream_options"] = {**(options or {}), "include_usage": True}
        return True
