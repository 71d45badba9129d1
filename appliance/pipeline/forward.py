"""Forward step: sends the request upstream and returns its answer as it came.

Transport failures become 502 (unreachable) or 504 (timed out) in the
caller's protocol; upstream statuses, bodies and headers pass back unchanged.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from appliance.errors import UpstreamTimeout, UpstreamUnreachable
from appliance.pipeline.context import Exchange, Reply
from appliance.providers.base import HOP_BY_HOP, StreamMeter
from appliance.providers.relay import relay
from appliance.providers.upstream import Upstream, is_timeout
from appliance.settings import UpstreamSettings

SSE = "text/event-stream"


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
            ex.fmt.upstream_headers(ex.headers),
            self._content(ex),
        )
        deadline = time.monotonic() + self._settings.total_timeout_s
        response = await self._send(request, deadline)
        ex.outcome.status = response.status_code
        ex.outcome.upstream_request_id = _request_id(response)
        headers = _pass_headers(response)
        if response.status_code == 200 and _is_sse(response):
            return self._stream(ex, response, headers, deadline)
        body = await self._read(response, deadline)
        if response.status_code < 400:
            ex.outcome.usage = _usage_of(ex, body)
        else:
            ex.outcome.error_type = "upstream_error"
        media = response.headers.get("content-type", "application/json")
        return Reply(
            status=response.status_code, headers=headers, body=body, media_type=media
        )

    def _url(self, ex: Exchange) -> str:
        base = (
            self._settings.anthropic_base_url
            if ex.fmt.name == "anthropic"
            else self._settings.openai_base_url
        )
        path = ex.path.removeprefix("/v1")
        return base.rstrip("/") + path + (f"?{ex.query}" if ex.query else "")

    def _content(self, ex: Exchange) -> bytes:
        if ex.body is not None and ex.body_changed:
            # ASCII escapes: equal JSON, and a lone surrogate cannot fail to encode.
            return json.dumps(ex.body, separators=(",", ":")).encode()
        return ex.raw_body

    async def _send(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """The answer's status and headers; the transport's connect and idle
        timeouts bound the wait, the total deadline caps it."""
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                return await self._upstream.send(request)
        except TimeoutError:
            raise UpstreamTimeout("The upstream did not answer in time.") from None
        except httpx.TransportError as error:
            raise _transport_error(error, "did not answer in time") from None

    async def _read(self, response: httpx.Response, deadline: float) -> bytes:
        try:
            async with asyncio.timeout_at(_loop_time(deadline)):
                return await _body(response)
        except TimeoutError:
            raise UpstreamTimeout(
                "The upstream stopped answering mid-response."
            ) from None
        except httpx.TransportError as error:
            raise _transport_error(error, "stopped answering mid-response") from None
        finally:
            await response.aclose()

    def _stream(
        self, ex: Exchange, response: httpx.Response, headers: list, deadline: float
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
        )
        return Reply(status=200, headers=headers, chunks=chunks, media_type=SSE)


def _loop_time(deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (deadline - time.monotonic())


def _transport_error(error: httpx.TransportError, timeout_text: str) -> Exception:
    if is_timeout(error):
        return UpstreamTimeout(f"The upstream {timeout_text}.")
    return UpstreamUnreachable("The upstream could not be reached.")


async def _body(response: httpx.Response) -> bytes:
    """The body as sent; httpx's decoding layers only for an encoded one."""
    stream = response.stream
    if "content-encoding" in response.headers or not isinstance(
        stream, httpx.AsyncByteStream
    ):
        return await response.aread()
    return b"".join([chunk async for chunk in stream])


def _usage_of(ex: Exchange, body: bytes):  # type: ignore[no-untyped-def]
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return ex.fmt.usage(parsed) if isinstance(parsed, dict) else None


def _pass_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in HOP_BY_HOP
        and name.lower() not in ("content-type", "date", "server")
    ]


def _is_sse(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith(SSE)


def _request_id(response: httpx.Response) -> str | None:
    return response.headers.get("x-request-id") or response.headers.get("request-id")
