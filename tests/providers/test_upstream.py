"""The upstream transport's resend: a bounded number of times, and only for a
request the upstream never got whole."""

from __future__ import annotations

import aiohttp
import httpx
import pytest

from appliance.providers.upstream import (
    RESENDS,
    ResendingTransport,
    build_transport,
    never_delivered,
)
from appliance.settings import UpstreamSettings

URL = "http://upstream.test/v1/chat/completions"


class Scripted(httpx.AsyncBaseTransport):
    """Raises the scripted failures in turn, then answers 200."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.sent: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.content)
        if self.failures:
            raise self.failures.pop(0)
        return httpx.Response(200, content=b'{"ok": true}')


def mapped(cause: BaseException) -> httpx.TransportError:
    """As httpx-aiohttp passes an aiohttp connection error on."""
    error = httpx.ConnectTimeout(str(cause))
    error.__cause__ = cause
    return error


def closing() -> aiohttp.ClientConnectionResetError:
    return aiohttp.ClientConnectionResetError("Cannot write to closing transport")


def request() -> httpx.Request:
    return httpx.Request("POST", URL, content=b'{"model": "gpt-4o"}')


async def test_a_request_a_closing_connection_never_sent_goes_once_more():
    inner = Scripted(mapped(closing()))
    response = await ResendingTransport(inner).handle_async_request(request())
    assert response.status_code == 200
    assert inner.sent == [b'{"model": "gpt-4o"}', b'{"model": "gpt-4o"}']


async def test_a_request_the_upstream_may_have_run_is_not_resent():
    inner = Scripted(mapped(aiohttp.ServerDisconnectedError()))
    with pytest.raises(httpx.ConnectTimeout):
        await ResendingTransport(inner).handle_async_request(request())
    assert len(inner.sent) == 1


async def test_the_next_pooled_connection_closing_too_is_no_failure():
    inner = Scripted(mapped(closing()), mapped(closing()), mapped(closing()))
    response = await ResendingTransport(inner).handle_async_request(request())
    assert response.status_code == 200
    assert len(inner.sent) == 4


async def test_it_resends_a_bounded_number_of_times():
    inner = Scripted(*(mapped(closing()) for _ in range(RESENDS + 1)))
    with pytest.raises(httpx.ConnectTimeout) as failed:
        await ResendingTransport(inner).handle_async_request(request())
    assert never_delivered(failed.value)
    assert len(inner.sent) == RESENDS + 1


async def test_an_aiohttp_error_httpx_aiohttp_lets_through_is_an_httpx_one():
    inner = Scripted(aiohttp.ClientPayloadError("garbled"))
    with pytest.raises(httpx.RemoteProtocolError, match="ClientPayloadError"):
        await ResendingTransport(inner).handle_async_request(request())
    assert len(inner.sent) == 1


async def test_the_pool_keeps_idle_connections_as_long_as_configured():
    transport = build_transport(UpstreamSettings(keepalive_expiry_s=4.0))
    assert isinstance(transport, ResendingTransport)
    session = transport.inner.get_client()
    try:
        assert session.connector is not None
        assert session.connector._keepalive_timeout == 4.0
    finally:
        await session.close()
