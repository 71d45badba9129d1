"""The proxy's HTTP handlers: build an exchange, run the pipeline, answer.

OpenAI's chat completions and Anthropic's messages are the handled paths;
every other /v1 path is authenticated, metered and passed through.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any, cast
from urllib.parse import quote

from litestar import Response, asgi, get
from litestar.datastructures import State
from litestar.types import (
    ASGIApp,
    HTTPRequestEvent,
    HTTPScope,
    Receive,
    Scope,
    Send,
)

from appliance.errors import BodyTooLarge, MethodNotAllowed, NotFound, OpteraError
from appliance.pipeline.context import Exchange, Next, Reply
from appliance.providers.anthropic import AnthropicFormat
from appliance.providers.base import CONTROL_CHARACTER, ProviderFormat
from appliance.providers.openai import OpenAIFormat
from appliance.proxy.answer import Answer, StreamAnswer
from appliance.proxy.headers import OURS, quota_headers, savings_headers, wire_headers

log = logging.getLogger(__name__)
OPENAI = OpenAIFormat()
ANTHROPIC = AnthropicFormat()
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOW = ", ".join(METHODS)


class ClientLeft(Exception):
    """The caller hung up before its request body was complete."""


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def format_for(path: str, headers: dict[str, str]) -> ProviderFormat:
    """Anthropic for its paths or its headers; OpenAI's format otherwise."""
    if path.startswith(("/v1/messages", "/v1/complete")):
        return ANTHROPIC
    if path.startswith(("/v1/chat/", "/v1/embeddings")):
        return OPENAI
    if "anthropic-version" in headers or "x-api-key" in headers:
        return ANTHROPIC
    return OPENAI


@asgi("/v1", is_mount=True, copy_scope=False, name="proxy")
async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
    # Mounted as a plain ASGI app: Litestar's request parsing and response
    # handling were a seventh of a relayed request's CPU, and Optera needs
    # neither. (Litestar cannot give an ASGI route a path parameter.)
    if scope["type"] != "http":  # a WebSocket: no provider API takes one here
        await send({"type": "websocket.close", "code": 1003, "reason": None})
        return
    answer = await _answer(cast("HTTPScope", scope), receive)
    await answer(scope, receive, send)


async def _answer(scope: HTTPScope, receive: Receive) -> ASGIApp:
    state = scope["app"].state
    # The mount leaves what follows /v1 in the path, a slash added at its end;
    # /v1beta would match it too.
    rest: str = scope["path"].rstrip("/")
    # ASGI gives header names lower-cased.
    raw_headers = list(scope["headers"])
    headers = {
        name.decode("latin-1"): value.decode("latin-1") for name, value in raw_headers
    }
    path = "/v1" + rest
    fmt = format_for(path, headers)
    method: str = scope["method"]
    if method not in METHODS:
        refused = MethodNotAllowed(
            f"{method[:20]} is not allowed here.", headers={"Allow": ALLOW}
        )
        return error_response(_blank(fmt, method), refused)
    raw_path = _raw_path(scope, path)
    if not (rest.startswith("/") and raw_path.startswith("/v1/")) or not _safe_path(
        raw_path, path
    ):
        return error_response(_blank(fmt, method), NotFound("Unknown path."))
    ex = Exchange(
        request_id=new_request_id(),
        fmt=fmt,
        method=method,
        path=path,
        query=scope["query_string"].decode("latin-1"),
        headers=headers,
        raw_body=b"",
        raw_headers=raw_headers,
        raw_path=raw_path,
        controls=_controls(headers),
    )
    pipeline: Next = state.pipeline
    try:
        ex.raw_body = await _read_body(receive, headers, state.max_body_bytes)
        reply = await pipeline(ex)
    except ClientLeft:
        return _unanswered
    except OpteraError as error:
        return error_response(ex, error)
    except Exception:
        log.exception("request %s failed inside Optera", ex.request_id)
        return error_response(
            ex, OpteraError("Optera failed on this request; it was logged.")
        )
    return to_response(ex, reply)


async def _unanswered(scope: Scope, receive: Receive, send: Send) -> None:
    """Nobody is left to answer."""


def _raw_path(scope: HTTPScope, path: str) -> str:
    """The path as the caller sent it, escapes kept. It is what goes upstream:
    forwarding the decoded one let an escape the upstream's URL parsing undoes
    once more change the resource (%253F became a query, %252e%252e a dot
    segment)."""
    raw = scope.get("raw_path")
    if raw is None:
        return quote(path)
    return raw.partition(b"?")[0].decode("latin-1")


def _safe_path(raw: str, path: str) -> bool:
    """No dot segments, encoded dots or slashes, or empty segments: the path
    forwarded must stay under the upstream's base URL."""
    lowered = raw.lower()
    if any(part in lowered for part in ("%2e", "%2f", "%5c", "//", "\\")):
        return False
    segments = path.split("/")[1:]
    if CONTROL_CHARACTER.search(path):  # decoded from %00-%1f: no URL carries one
        return False
    return all(segment not in ("", ".", "..") for segment in segments)


def _blank(fmt: ProviderFormat, method: str) -> Exchange:
    return Exchange(
        request_id=new_request_id(),
        fmt=fmt,
        method=method,
        path="",
        query="",
        headers={},
        raw_body=b"",
    )


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    """The body, refused past `limit` bytes without reading the rest."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"The request body is over the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientLeft
        message = cast("HTTPRequestEvent", message)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"The request body is over the limit of {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _controls(headers: dict[str, str]) -> dict[str, str]:
    controls = {
        name.removeprefix("x-optera-"): value.strip().lower()
        for name, value in headers.items()
        if name.startswith("x-optera-")
    }
    if "cache-control" in headers:
        controls["cache-control"] = headers["cache-control"].lower()
    return controls


def to_response(ex: Exchange, reply: Reply) -> ASGIApp:
    headers = _merge(reply.headers, ex)
    if reply.chunks is not None:
        return StreamAnswer(reply.status, headers, reply.chunks, reply.media_type)
    return Answer(reply.status, headers, reply.body or b"", reply.media_type)


def _merge(
    upstream: list[tuple[bytes, bytes]], ex: Exchange
) -> list[tuple[bytes, bytes]]:
    """The upstream's headers (repeated ones kept) and Optera's, ours winning."""
    ours = wire_headers(
        [
            *savings_headers(ex).items(),
            *quota_headers(ex).items(),
            ("X-Optera-Request-Id", ex.request_id),
        ]
    )
    return [pair for pair in upstream if pair[0] not in OURS] + ours


def error_response(ex: Exchange, error: OpteraError) -> Answer:
    headers = wire_headers(
        [
            *quota_headers(ex).items(),
            *error.headers.items(),
            ("X-Optera-Request-Id", ex.request_id),
        ]
    )
    body: Any = ex.fmt.error_body(error)
    return Answer(error.status, headers, json.dumps(body).encode(), "application/json")


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response:
    """Ready once the stores are open and, with routing on, the router is built."""
    ready = bool(getattr(state, "ready", False))
    runtime = getattr(state, "runtime", None)
    if ready and runtime is not None and runtime.settings.routing.enabled:
        ready = runtime.routers.ready.is_set() or runtime.embedder is None
    return Response(
        content={"status": "ready" if ready else "starting"},
        status_code=200 if ready else 503,
    )
