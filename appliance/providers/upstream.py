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

from http.cookiejar import CookieJar, DefaultCookiePolicy

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from appliance.settings import UpstreamSettings

PARSED_URLS = 1024


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
        self, method: str, url: str, headers: dict[str, str], content: bytes
    ) -> httpx.Request:
        """The request as it goes out: the caller's header bytes as they came.

        Built from a stream with its Host and Content-Length set here: httpx's
        own defaulting re-encodes and re-scans every header twice, a third of
        the CPU of a relayed request's build, and encodes a str header value as
        ASCII, so a caller's UTF-8 header would fail to forward at all.
        """
        parsed = self._parsed(url)
        raw = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ]
        raw.append((b"host", parsed.netloc))
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
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        keepalive_expiry=30.0,
    )
    if settings.transport == "aiohttp":
        return AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


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
