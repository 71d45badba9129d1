"""The forward step's reading of an upstream's answer headers, and how it
names a transport failure in the log."""

from __future__ import annotations

import aiohttp
import httpx
import yarl
from multidict import CIMultiDict, CIMultiDictProxy

from appliance.pipeline import forward
from appliance.pipeline.forward import _Head


def test_hop_by_hop_headers_and_those_connection_lists_are_not_passed_back():
    response = httpx.Response(
        200,
        headers=[
            ("Connection", "keep-alive, X-Hop-Listed"),
            ("X-Hop-Listed", "1"),
            ("Transfer-Encoding", "chunked"),
            ("X-RateLimit-Remaining-Requests", "99"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Type", "application/json"),
            ("X-Request-Id", "req_1"),
        ],
    )
    head = _Head.of(response)
    assert head.passed == [
        (b"x-ratelimit-remaining-requests", b"99"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"x-request-id", b"req_1"),
    ]
    assert head.content_type == "application/json"
    assert head.request_id == "req_1"
    assert not head.encoded


def test_a_value_outside_ascii_is_passed_back_as_its_bytes():
    response = httpx.Response(200, headers=[(b"x-note", "Café Ω".encode())])
    assert _Head.of(response).passed == [(b"x-note", "Café Ω".encode())]


def test_a_transport_failure_is_named_without_the_query_string():
    url = yarl.URL("http://upstream.test/v1/models?key=sk-in-the-query&x=1")
    info = aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    cause = aiohttp.ClientResponseError(info, (), status=400, message="Bad line")
    error = httpx.RemoteProtocolError("not valid HTTP")
    error.__cause__ = cause
    named = forward._cause(error, [])
    assert named.startswith("ClientResponseError: 400, message='Bad line'")
    assert "http://upstream.test/v1/models?..." in named
    assert "sk-in-the-query" not in named


def test_a_key_quoted_in_an_unreadable_answer_is_cut_whole():
    echoed = (
        "Invalid header token: b'authorization: Bearer sk-ab\\\\cd\\tEND\\r\\nx: 1'"
    )
    error = httpx.RemoteProtocolError("not valid HTTP")
    error.__cause__ = aiohttp.ClientPayloadError(echoed)
    named = forward._cause(error, [(b"authorization", b"Bearer sk-other")])
    assert "authorization: Bearer [key]" in named
    assert "cd" not in named
    assert "END" not in named
