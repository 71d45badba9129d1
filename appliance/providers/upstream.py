"""The process's one pool of upstream connections, and how requests go out on it.

httpx's API on the aiohttp transport: measured on this class of machine it
relays two to three times the requests of httpx's default transport, whose
pool checks every idle connection on each request (see bench/).

The forward step hands its request to the transport itself. A relayed
request needs none of the client's per-request machinery (auth flow,
redirect loop, cookie jar, event hooks), which costs about 0.4 ms of CPU a
request here. The client over the same pool serves Optera's own calls
(conversation summaries). Neither keeps cookies: the pool serves every
workspace, and one caller's upstream cookie must never ride on another's
request.
"""

from __future__ import annotations

from functools import partial
from http.cookiejar import CookieJar, DefaultCookiePolicy

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from appliance.settings import UpstreamSettings

PARSED_URLS = 1024
# Times a request no connection delivered is sent again, each on the next
# connection the pool hands out; a new one is opened once none is left.
RESENDS = 3
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


class Upstream:
    """The transport, its timeouts, and a client over it for Optera's own calls."""

    def __init__(self, settings: UpstreamSettings) -> None:
        self.transport = build_transport(settings)
        self.timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.idle_timeout_s,
            write=settings.idle_timeout_s,
            pool=settings.connect_timeout_s,
        )
        self.client = httpx.AsyncClient(
            transport=self.transport,
            timeout=self.timeout,
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
            trust_env=False,
            follow_redirects=False,
        )
        self._timeouts = self.timeout.as_dict()
        self._urls: dict[str, httpx.URL] = {}

    def request(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> httpx.Request:
        """The request as it goes out, with the caller's header bytes.

        Built from a stream with Host and Content-Length set here: httpx's own
        defaulting re-encodes and re-scans every header twice, a third of the
        CPU of building a relayed request, and encodes a str value as ASCII,
        so a caller's UTF-8 header failed to forward at all.
        """
        parsed = self._parsed(url)
        raw = sendable(headers)
        raw.append((b"host", parsed.netloc))
        if content or method in BODY_METHODS:
            raw.append((b"content-length", str(len(content)).encode()))
        request = httpx.Request(
            method,
            parsed,
            headers=raw,
            stream=httpx.ByteStream(content),
            extensions={"timeout": self._timeouts},
        )
        request.read()  # the transport sends a read body whole, not chunked
        return request

    def _parsed(self, url: str) -> httpx.URL:
        """Parsing a URL is half the cost of building a request, and a proxy
        sends to a handful of them."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= PARSED_URLS:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return parsed

    async def send(self, request: httpx.Request) -> httpx.Response:
        """The upstream's answer with its body unread: read or close it."""
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.client.aclose()


def build_transport(settings: UpstreamSettings) -> httpx.AsyncBaseTransport:
    """The configured transport with a large keep-alive pool."""
    limits = pool_limits(settings)
    if settings.transport == "aiohttp":
        return ResendingTransport(
            AiohttpTransport(
                limits=limits, trust_env=False, client=partial(_session, limits)
            )
        )
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


def pool_limits(settings: UpstreamSettings) -> httpx.Limits:
    """Every connection may stay pooled, for `keepalive_expiry_s` once idle."""
    return httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        keepalive_expiry=settings.keepalive_expiry_s,
    )


class ResendingTransport(httpx.AsyncBaseTransport):
    """The aiohttp transport, with two things it leaves to its caller.

    A request that a pooled connection never delivered goes again, up to
    RESENDS times. An upstream closes a connection it has kept idle long
    enough; when it does so just as the pool hands that connection out,
    writing the request fails, and the next pooled connection may be closing
    too (the upstream closes those idle as long at once).
    The upstream then has at most part of the request, which it cannot act on,
    so sending it again cannot make it run twice. aiohttp resends only
    idempotent methods, and a chat request is a POST. A failure once the
    request is written (the upstream hanging up before answering) is never
    resent: the upstream may have run it.

    An answer that is not valid HTTP (a garbled status line, a header past
    aiohttp's limit) raises an aiohttp error that httpx-aiohttp passes on as
    it is; it becomes an httpx transport error like any other.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(RESENDS):
            try:
                return await self._attempt(request)
            except httpx.TransportError as error:
                if not never_delivered(error):
                    raise
        return await self._attempt(request)

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except aiohttp.ClientError as error:
            raise httpx.RemoteProtocolError(
                f"The upstream's answer is not valid HTTP ({type(error).__name__})."
            ) from error

    async def aclose(self) -> None:
        await self.inner.aclose()


def never_delivered(error: BaseException) -> bool:
    """True when the request failed as it was being written: aiohttp raises
    ClientConnectionResetError only on the writing side, for a connection
    already closing or lost before the request was all handed to it."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, aiohttp.ClientConnectionResetError):
            return True
        cause = cause.__cause__
    return False


def _session(limits: httpx.Limits) -> aiohttp.ClientSession:
    """The session httpx-aiohttp would build, but adding no header of its own
    (aiohttp's User-Agent, Accept, and application/octet-stream for a body
    sent without a type): the upstream gets the caller's headers only. Built
    by the transport on its first request, inside the running loop."""
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=httpx.create_ssl_context(trust_env=False),
    )
    return aiohttp.ClientSession(connector=connector, skip_auto_headers=AUTO_HEADERS)


def sendable(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Header pairs as the transport can send them. aiohttp writes a header
    value as UTF-8 text, and httpx decodes a request's headers with one
    encoding for all, Latin-1 once any is not UTF-8, which then re-encoded the
    UTF-8 ones wrongly. So a value that is not UTF-8 (HTTP allows Latin-1)
    goes as the UTF-8 of its Latin-1 characters; all others byte for byte."""
    return [(name, _utf8(value)) for name, value in headers]


def _utf8(value: bytes) -> bytes:
    if value.isascii():
        return value
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1").encode("utf-8")
    return value


def is_timeout(error: httpx.TransportError) -> bool:
    """True for a real timeout; False for a refused or broken connection.

    httpx-aiohttp maps every aiohttp connection error, a refused connection
    included, to httpx.ConnectTimeout, so the aiohttp cause decides.
    """
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientError) and not isinstance(
        cause, aiohttp.ServerTimeoutError | aiohttp.SocketTimeoutError
    ):
        return False
    return isinstance(error, httpx.TimeoutException)
