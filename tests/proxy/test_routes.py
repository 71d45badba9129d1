"""What reaches the proxy's handler: its methods, the paths beside /v1, a
WebSocket, and a caller that hangs up before its body is complete."""

from __future__ import annotations

import logging
import socket
import time

import httpx
import pytest
import websockets.sync.client
from websockets.exceptions import InvalidStatus

from appliance.serve import hide_websocket_queries
from tests.proxy.test_hardening import raw_request


def test_a_method_no_provider_api_takes_is_405_in_the_callers_format(appliance):
    _, key = appliance.workspace()
    openai_style = httpx.request(
        "TRACE", appliance.url + "/v1/models", headers={"x-proxy-key": key}
    )
    assert openai_style.status_code == 405
    assert openai_style.headers["allow"] == "GET, POST, PUT, PATCH, DELETE"
    assert openai_style.json()["error"]["code"] == "method_not_allowed"
    assert openai_style.json()["error"]["type"] == "invalid_request_error"
    assert openai_style.headers["x-optera-request-id"].startswith("req_")

    anthropic_style = httpx.request(
        "PROPFIND", appliance.url + "/v1/messages", headers={"x-proxy-key": key}
    )
    assert anthropic_style.status_code == 405
    assert anthropic_style.json()["type"] == "error"
    assert anthropic_style.json()["error"]["type"] == "invalid_request_error"
    assert appliance.upstream.seen == []


@pytest.mark.parametrize("path", ["/v1", "/v1/", "/v1beta/models", "/v1chat"])
def test_paths_beside_the_v1_tree_are_404_and_not_forwarded(appliance, path):
    _, key = appliance.workspace()
    answer = httpx.get(appliance.url + path, headers={"x-proxy-key": key})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert appliance.upstream.seen == []


def test_a_path_under_v1_reaches_the_upstream_as_it_was_asked(appliance):
    _, key = appliance.workspace()
    answer = httpx.get(
        appliance.url + "/v1/models",
        params={"limit": "2"},
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
    )
    assert answer.status_code == 200
    assert [(seen.method, seen.path) for seen in appliance.upstream.seen] == [
        ("GET", "/v1/models")
    ]


@pytest.mark.parametrize(
    ("sent", "arrived"),
    [
        # Escapes the upstream's URL parsing would undo once more stay escaped:
        # no dot segment, no query, no fragment made of them.
        (
            "/v1/files/%252e%252e/%252e%252e/admin",
            b"/v1/files/%252e%252e/%252e%252e/admin",
        ),
        ("/v1/files/a%252Fb", b"/v1/files/a%252Fb"),
        ("/v1/files/file-abc%3Fpurpose=x", b"/v1/files/file-abc%3Fpurpose=x"),
        ("/v1/files/file-abc%23frag", b"/v1/files/file-abc%23frag"),
        ("/v1/files/%2541", b"/v1/files/%2541"),
        ("/v1/models/", b"/v1/models/"),
        ("/v1/files/caf%C3%A9%20x", b"/v1/files/caf%C3%A9%20x"),
    ],
)
def test_the_path_goes_upstream_as_it_was_sent(appliance, sent, arrived):
    _, key = appliance.workspace()
    answer = raw_request(appliance, f"GET {sent}?limit=2 HTTP/1.1", key)
    assert answer.startswith(b"HTTP/1.1 ")
    [seen] = appliance.upstream.seen
    assert (seen.raw_path, seen.query) == (arrived, b"limit=2")


def test_a_websocket_is_refused_before_it_opens(appliance):
    _, key = appliance.workspace()
    url = appliance.url.replace("http://", "ws://") + "/v1/realtime"
    with pytest.raises(InvalidStatus) as refused:
        websockets.sync.client.connect(
            url, additional_headers={"x-proxy-key": key}, open_timeout=10
        )
    assert refused.value.response.status_code == 403
    assert appliance.upstream.seen == []


def test_a_key_in_a_websockets_query_string_is_not_logged(appliance, caplog):
    hide_websocket_queries()
    caplog.set_level(logging.INFO)
    url = appliance.url.replace("http://", "ws://") + "/v1/realtime?api-key=sk-ws-q"
    with pytest.raises(InvalidStatus):
        websockets.sync.client.connect(url, open_timeout=10)
    time.sleep(0.2)
    [line] = [r.getMessage() for r in caplog.records if "WebSocket" in r.getMessage()]
    assert line.endswith('"WebSocket /v1/realtime?..." 403')
    assert "sk-ws-q" not in caplog.text


def test_a_caller_gone_before_its_body_ends_is_no_failure(appliance, caplog):
    _, key = appliance.workspace()
    port = int(appliance.url.rsplit(":", 1)[1])
    caplog.set_level(logging.INFO, logger="appliance")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
            b"x-proxy-key: " + key.encode() + b"\r\n"
            b"content-type: application/json\r\ncontent-length: 500\r\n\r\n"
            b'{"model": "gpt-4o", '
        )
        time.sleep(0.2)
    time.sleep(0.3)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert appliance.upstream.seen == []
    # The server goes on answering.
    assert httpx.get(appliance.url + "/healthz").status_code == 200
