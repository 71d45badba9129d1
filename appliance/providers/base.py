"""What every provider wire format offers the pipeline.

A `ProviderFormat` knows its protocol's request shape, usage fields, error
body and stream events; the pipeline never parses provider JSON itself.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from typing import Any

from appliance.errors import InvalidRequest, OpteraError
from appliance.providers.sse import SseEvent
from appliance.providers.usage import Usage

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
OPTERA_HEADERS = frozenset({"x-proxy-key", "x-feature-tag", "x-team-tag", "x-user-tag"})
# Not forwarded, as the lower-cased bytes an ASGI server hands over: hop-by-hop
# headers, ours, and `expect`, since Optera has read the whole body already
# (forwarded, it made the transport wait for a 100 Continue that most
# upstreams never send).
NOT_FORWARDED = frozenset(
    name.encode() for name in (*HOP_BY_HOP, *OPTERA_HEADERS, "expect")
)


def connection_listed(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Names a `Connection` header lists: hop-by-hop for that one message."""
    listed = [value for name, value in headers if name.lower() == b"connection"]
    if not listed:
        return NONE_LISTED
    return frozenset(
        token.strip().lower()
        for value in listed
        for token in value.split(b",")
        if token.strip()
    )


NONE_LISTED: frozenset[bytes] = frozenset()


class StreamMeter(ABC):
    """Reads usage (and anything else worth keeping) from stream events."""

    usage: Usage | None = None
    complete: bool = False

    @abstractmethod
    def observe(self, event: SseEvent) -> bool:
        """Take one event; return False when the relay should drop it."""


class ProviderFormat(ABC):
    name: str
    chat_path: str

    @abstractmethod
    def validate_chat(self, body: dict[str, Any]) -> None:
        """Raise InvalidRequest for a shape the provider would refuse."""

    @abstractmethod
    def error_body(self, error: OpteraError) -> dict[str, Any]:
        """The protocol's JSON error body for one of our errors."""

    @abstractmethod
    def usage(self, body: dict[str, Any]) -> Usage | None:
        """Usage from a complete (non-streamed) response body."""

    @abstractmethod
    def stream_meter(self, strip_usage_chunk: bool) -> StreamMeter:
        """A fresh meter for one stream."""

    @abstractmethod
    def stream_error(self, code: str) -> bytes:
        """One SSE error event of the protocol, ending a broken stream."""

    def prepare_stream(self, body: dict[str, Any]) -> bool:
        """Adjust a streaming request so that usage comes back; True when the
        relay must drop a usage event the caller did not ask for."""
        return False

    def upstream_headers(
        self, incoming: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """The caller's headers to forward, repeated ones kept: the provider key
        included; ours, hop-by-hop ones and those `Connection` lists removed."""
        listed = connection_listed(incoming)
        dropped = NOT_FORWARDED | listed if listed else NOT_FORWARDED
        out = [
            (name, value)
            for name, value in incoming
            if name not in dropped and not name.startswith(b"x-optera-")
        ]
        out.append((b"accept-encoding", b"identity"))
        return out


def _not_json(token: str) -> float:
    raise InvalidRequest(
        f"The request body is not valid JSON: {token} is not a number."
    )


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise InvalidRequest(
            f"The request body has a number out of range: {text[:40]}."
        )
    return number


DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)
# A JSON escape of a UTF-16 surrogate, paired (an emoji) or not, or a
# surrogate's own UTF-8 bytes, which Python's parser also lets through.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\xed[\xa0-\xbf]")


CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or InvalidRequest."""
    if not raw or raw.isspace():
        raise InvalidRequest("The request body is empty; a JSON object is required.")
    try:
        # As json.loads reads bytes, with a decoder built once, not per call.
        body = DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidRequest(f"The request body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidRequest("The request body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(body):
        raise InvalidRequest(
            "The request body is not valid JSON: a string holds a lone UTF-16 "
            "surrogate (U+D800 to U+DFFF without its pair)."
        )
    return body


def _has_lone_surrogate(body: dict[str, Any]) -> bool:
    """True if any key or string of the parsed body holds an unpaired
    surrogate. Python's parser takes one; UTF-8 cannot carry it, and the
    providers refuse it as invalid JSON. Only read when the raw body has a
    surrogate escape at all."""
    stack: list[Any] = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("'model' is required and must be a non-empty string.")
    if CONTROL_CHARACTER.search(model):
        # It goes back in X-Original-Model, where no control character may stand.
        raise InvalidRequest("'model' must not contain control characters.")
    return model


def require_messages(body: dict[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty list.")
    return messages


def check_parts(content: Any, where: str) -> None:
    """Content must be text or a list of typed parts."""
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts.")
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise InvalidRequest(
                f"{where}.content[{index}] must be an object with a 'type'."
            )
