"""Forward step: sends the request upstream and returns its answer as it came.

Transport failures become 502 (unreachable) or 504 (timed out) in the
caller's protocol; upstream statuses, bodies and headers pass back unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass

import httpx

from appliance.errors import UpstreamTimeout, UpstreamUnreachable
from appliance.pipeline.context import Exchange, Reply
from appliance.providers.base import HOP_BY_HOP, StreamMeter, connection_listed
from appliance.providers.relay import relay
from appliance.providers.upstream import Upstream, is_timeout
from appliance.settings import UpstreamSettings

log = logging.getLogger(__name__)
SSE = "text/event-stream"
QUERY = re.compile(r"\?[^\s'\"]*")
# Request headers that carry a key, and the text that names one in a message.
KEY_HEADERS = frozenset(
    {b"authorization", b"proxy-authorization", b"x-api-key", b"api-key", b"x-proxy-key"}
)
KEY_TEXT = re.compile(
    r"(?i)((?:authorization|api-key|x-proxy-key)['\"]?\s*[:=]\s*['\"]?(?:\w+\s+)?"
    r"|bearer\s+)(?:\[key\]|[^\s'\"\[\]]+)"
)
# ASCII escapes: equal JSON, and a lone surrogate cannot fail to encode. Built
# once: json.dumps with options builds an encoder on every call.
COMPACT = json.JSONEncoder(separators=(",", ":"))
# Headers of the upstream's answer the forward step reads, and those it does
# not pass back (hop-by-hop ones, and those the server sets itself), as the
# lower-cased bytes they are compared as.
READ = frozenset({b"content-type", b"content-encoding", b"x-request-id", b"request-id"})
NOT_PASSED = frozenset(
    {b"content-type", b"date", b"server", *(name.encode() for name in HOP_BY_HOP)}
)
# Content codings httpx always undoes: an answer in one of them is decoded and
# goes back without its Content-Encoding. Any other goes back as it came.
DECODED = frozenset({"gzip", "deflate", "identity"})


class ForwardStep:
    """The last step: nothing after it, so it takes only the exchange."""

    def __init__(self, upstream: Upstream, settings: UpstreamSettings) -> None:
        self._upstream = upstream
        self._settings = settings

    async def __call__(self, ex: Exchange) -> Reply:
        chat_body = ex.body if ex.stream and ex.is_chat else None
        if chat_body is not None and ex.fmt.prepare_stream(chat_body):
            ex.strip_usage_chunk = True
            ex.body_changed = True
        request = self._upstream.request(
            ex.method,
            self._url(ex),
            ex.fmt.upstream_headers(ex.raw_headers),
            self._content(ex),
        )
        deadline = time.monotonic() + self._settings.total_timeout_s
        response, head, body = await self._exchange(ex, request, deadline)
        if body is None:
            return self._stream(ex, response, head, deadline)
        if response.status_code < 400:
            ex.outcome.usage = _usage_of(ex, body)
        else:
            ex.outcome.error_type = "upstream_error"
        return Reply(
            status=response.status_code,
            headers=head.passed,
            body=body,
            media_type=head.content_type or "application/json",
        )

    def _url(self, ex: Exchange) -> str:
        base = (
            self._settings.anthropic_base_url
            if ex.fmt.name == "anthropic"
            else self._settings.openai_base_url
        )
        path = (ex.raw_path or ex.path).removeprefix("/v1")
        return base.rstrip("/") + path + (f"?{ex.query}" if ex.query else "")

    def _content(self, ex: Exchange) -> bytes:
        if ex.body is not None and ex.body_changed:
            return COMPACT.encode(ex.body).encode()
        return ex.raw_body

    async def _exchange(
        self, ex: Exchange, request: httpx.Request, deadline: float
    ) -> tuple[httpx.Response, _Head, bytes | None]:
        """The answer's status and headers, and its body unless it is a stream,
        which the relay reads as it comes. The transport's connect and idle
        timeouts bound each wait; one total deadline caps them all."""
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout_at(_loop_time(deadline)) as limit:
                response = await self._upstream.send(request)
                head = _Head.of(response)
                ex.outcome.status = response.status_code
                ex.outcome.upstream_request_id = head.request_id
                if response.status_code == 200 and head.content_type.startswith(SSE):
                    limit.reschedule(None)  # the relay keeps the deadline itself
                    return response, head, None
                try:
                    return response, head, await _body(response, head.encoded)
                finally:
                    await response.aclose()
        except TimeoutError:
            log.warning(
                "request %s: upstream %s (total_timeout_s)",
                ex.request_id,
                _failed(response),
            )
            raise UpstreamTimeout(f"The upstream {_failed(response)}.") from None
        except httpx.TransportError as error:
            log.warning(
                "request %s: upstream transport failed: %s",
                ex.request_id,
                _cause(error, ex.raw_headers),
            )
            raise _transport_error(error, _failed(response)) from None
        except httpx.DecodingError:
            raise UpstreamUnreachable(
                "The upstream's answer could not be decoded."
            ) from None

    def _stream(
        self,
        ex: Exchange,
        response: httpx.Response,
        head: _Head,
        deadline: float,
    ) -> Reply:
        async def on_end(
            meter: StreamMeter, aborted: bool, events: list[bytes], error: str | None
        ) -> None:
            ex.outcome.error_type = error
            ex.outcome.usage = meter.usage
            ex.outcome.aborted = aborted
            ex.stream_events = events
            for finalize in ex.stream_finalizers:
                await finalize(ex)

        chunks = relay(
            response,
            ex.fmt.stream_meter(ex.strip_usage_chunk),
            on_end,
            filtering=ex.strip_usage_chunk,
            deadline=deadline,
            failure_event=ex.fmt.stream_error,
            encoded=head.encoded,
        )
        return Reply(status=200, headers=head.passed, chunks=chunks, media_type=SSE)


def _loop_time(deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (deadline - time.monotonic())


def _failed(response: httpx.Response | None) -> str:
    if response is None:
        return "did not answer in time"
    return "stopped answering mid-response"


def _cause(error: BaseException, headers: list[tuple[bytes, bytes]]) -> str:
    """The failure as the transport named it, class and message, with no key
    in it. aiohttp's parser quotes the bytes of an answer it cannot read, and
    an upstream or middlebox may echo the request's headers there; a URL's
    query string may carry a key too. So the request's own key values, what
    follows a key header's name or a Bearer scheme, and every query string
    are cut."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = " ".join(f"{type(error).__name__}: {error}".split())
    for name, value in headers:
        if name in KEY_HEADERS:
            for secret in (value, value.partition(b" ")[2]):
                if len(secret.strip()) >= 4:
                    text = text.replace(secret.strip().decode("latin-1"), "[key]")
    text = KEY_TEXT.sub(r"\1[key]", text)
    return QUERY.sub("?...", text)[:300]


def _transport_error(error: httpx.TransportError, timeout_text: str) -> Exception:
    if is_timeout(error):
        return UpstreamTimeout(f"The upstream {timeout_text}.")
    return UpstreamUnreachable("The upstream could not be reached.")


async def _body(response: httpx.Response, encoded: bool) -> bytes:
    """The body as sent; httpx's decoding layers only for an encoded one."""
    stream = response.stream
    if encoded or not isinstance(stream, httpx.AsyncByteStream):
        return await response.aread()
    return b"".join([chunk async for chunk in stream])


def _usage_of(ex: Exchange, body: bytes):  # type: ignore[no-untyped-def]
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return ex.fmt.usage(parsed) if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class _Head:
    """What the forward step reads of the upstream's headers, in one pass over
    their bytes: those passed back are never decoded and encoded again."""

    passed: list[tuple[bytes, bytes]]  # names lower-cased, values as sent
    content_type: str
    encoded: bool  # a content coding httpx undoes (others pass as they came)
    request_id: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> _Head:
        passed: list[tuple[bytes, bytes]] = []
        seen: dict[bytes, list[bytes]] = {}
        raw = response.headers.raw
        listed = connection_listed(raw)
        for raw_name, value in raw:
            name = raw_name.lower()
            if name in READ:
                seen.setdefault(name, []).append(value)
            if name not in NOT_PASSED and name not in listed:
                passed.append((name, value))
        # Repeated headers read as httpx's Headers.get joins them.
        joined = {
            name: b", ".join(values).decode("latin-1") for name, values in seen.items()
        }
        encoded = _decoded(joined.get(b"content-encoding"))
        if encoded:  # undone here, so the answer no longer has that coding
            passed = [pair for pair in passed if pair[0] != b"content-encoding"]
        return cls(
            passed=passed,
            content_type=joined.get(b"content-type", ""),
            encoded=encoded,
            request_id=joined.get(b"x-request-id") or joined.get(b"request-id"),
        )


def _decoded(coding: str | None) -> bool:
    """True when the answer has a content coding that httpx will undo."""
    if not coding:
        return False
    codings = {part.strip().lower() for part in coding.split(",")}
    return codings <= DECODED and codings != {"identity"}
