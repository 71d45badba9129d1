"""Inputs that once broke Optera: traversal, odd unicode, deep JSON, stalled streams."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from appliance.errors import InvalidRequest
from appliance.store import workspaces

CHAT = "/v1/chat/completions"


def raw_request(appliance, request_line: str, key: str) -> bytes:  # type: ignore[no-untyped-def]
    """Send a request line exactly as written (no client-side path cleaning)."""
    port = int(appliance.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"{request_line}\r\nhost: x\r\nx-proxy-key: {key}\r\n"
            "authorization: Bearer sk-secret\r\nconnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    "path",
    [
        "/v1/../../etc/passwd",
        "/v1/%2e%2e/%2e%2e/admin",
        "/v1/models/..%2Fsecret",
        "/v1//x",
    ],
)
def test_paths_that_leave_the_upstream_base_are_refused(appliance, path):
    _, key = appliance.workspace()
    answer = raw_request(appliance, f"GET {path} HTTP/1.1", key)
    assert answer.startswith(b"HTTP/1.1 404")
    assert appliance.upstream.seen == []


def test_lone_surrogate_and_deep_nesting_are_400_not_500(appliance):
    _, key = appliance.workspace()
    headers = {
        "x-proxy-key": key,
        "authorization": "Bearer sk",
        "content-type": "application/json",
    }
    surrogate = b'{"model":"gpt-4o","messages":[{"role":"user","content":"\\ud800 x"}]}'
    response = httpx.post(appliance.url + CHAT, content=surrogate, headers=headers)
    # As the providers answer it: not valid JSON.
    assert response.status_code == 400
    assert "lone UTF-16 surrogate" in response.json()["error"]["message"]
    deep = b'{"model":"gpt-4o","messages":' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = httpx.post(appliance.url + CHAT, content=deep, headers=headers)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


def test_utf8_tags_are_stored_as_sent(appliance):
    _, key = appliance.workspace()
    httpx.post(
        appliance.url + CHAT,
        headers={
            "x-proxy-key": key,
            "authorization": "Bearer sk",
            "x-feature-tag": "café🔥".encode(),
        },
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    appliance.flush()
    [record] = appliance.records()
    assert record.feature_tag == "café🔥"


def test_workspace_names_are_unique(appliance):
    engine = appliance.runtime.engine
    workspaces.create(engine, "acme")
    with pytest.raises(InvalidRequest):
        workspaces.create(engine, "acme")
    other = workspaces.create(engine, "beta")
    with pytest.raises(InvalidRequest):
        workspaces.update(engine, other.id, name="acme")


def test_streamed_cache_hit_is_counted_once(appliance):
    _, key = appliance.workspace()
    client = appliance.openai(key)
    for _ in range(2):
        list(
            client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": "Hi"}],
                stream=True,
            )
        )
    appliance.flush()
    _, hit = appliance.records()
    assert hit.cache == "exact"
    assert hit.tokens_saved == 1500
    assert hit.savings["exact_cache"]["tokens"] == 1500
    # gpt-4o: 1200 * 2.5 + 300 * 10 = 6000 / 1e6
    assert hit.savings["exact_cache"]["usd"] == "0.006"
    assert str(hit.cost_saved_usd) == "0.006"


def test_stalled_stream_ends_with_an_error_event(appliance_factory):
    appliance = appliance_factory(upstream={"idle_timeout_s": 0.5})
    _, key = appliance.workspace()
    appliance.upstream.reply(chunk_delay=2.0)
    body = {
        "model": "gpt-4o",
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    with httpx.stream(
        "POST",
        appliance.url + CHAT,
        json=body,
        headers={"x-proxy-key": key, "authorization": "Bearer sk"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        text = b"".join(response.iter_raw()).decode()
    last = [line for line in text.splitlines() if line.startswith("data: ")][-1]
    assert (
        json.loads(last.removeprefix("data: "))["error"]["code"] == "upstream_timeout"
    )
    appliance.flush()
    [record] = appliance.records()
    assert record.aborted is True
    assert record.error_type == "upstream_timeout"


def test_unknown_paths_are_404_in_the_callers_format_with_a_request_id(appliance):
    plain = httpx.get(appliance.url + "/v2/chat/completions", timeout=10)
    assert plain.status_code == 404
    assert plain.json()["error"]["type"] == "invalid_request_error"
    assert plain.json()["error"]["code"] == "not_found"
    assert plain.headers["x-optera-request-id"].startswith("req_")

    anthropic_style = httpx.post(
        appliance.url + "/messages",
        headers={"anthropic-version": "2023-06-01", "x-api-key": "sk-ant"},
        json={},
        timeout=10,
    )
    assert anthropic_style.status_code == 404
    body = anthropic_style.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "not_found_error"
    assert anthropic_style.headers["x-optera-request-id"].startswith("req_")
    assert appliance.upstream.seen == []


def test_unsafe_path_is_404_typed_as_openai_types_it(appliance):
    _, key = appliance.workspace()
    answer = httpx.get(
        appliance.url + "/v1/models/..%2Fsecret",
        headers={"x-proxy-key": key},
        timeout=10,
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert answer.json()["error"]["code"] == "not_found"


def post_chat(appliance, key: str, **headers) -> httpx.Response:  # type: ignore[no-untyped-def]
    """A plain chat request with the proxy key, a provider key and `headers`."""
    return httpx.post(
        appliance.url + CHAT,
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x", **headers},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )


def send_raw(appliance, request: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """Send bytes exactly as written; the whole answer, interim ones included."""
    port = int(appliance.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_header_bytes_that_are_not_utf8_go_as_utf8_and_the_rest_as_sent(appliance):
    """aiohttp writes header values as UTF-8 text: a Latin-1 value goes as the
    UTF-8 of its characters, and never turns a UTF-8 one beside it into
    mojibake."""
    _, key = appliance.workspace()
    response = post_chat(
        appliance,
        key,
        **{"x-latin": b"caf\xe9", "x-title": "Crème brûlée".encode()},
    )
    assert response.status_code == 200
    seen = dict(appliance.upstream.seen[-1].raw_headers)
    assert seen[b"x-latin"] == "café".encode()
    assert seen[b"x-title"] == "Crème brûlée".encode()


def test_a_repeated_header_reaches_the_upstream_with_every_value_in_order(appliance):
    """The transport joins repeated request headers into one, as RFC 9110
    allows for list-valued fields; no value is lost."""
    _, key = appliance.workspace()
    response = httpx.post(
        appliance.url + "/v1/messages",
        headers=[
            ("x-proxy-key", key),
            ("x-api-key", "sk-ant-x"),
            ("anthropic-beta", "prompt-caching-2024-07-31"),
            ("anthropic-beta", "output-128k-2025-02-19"),
        ],
        json={
            "model": "claude-sonnet-4-5",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    assert response.status_code == 200
    seen = appliance.upstream.seen[-1].raw_headers
    values = b", ".join(value for name, value in seen if name == b"anthropic-beta")
    assert values == b"prompt-caching-2024-07-31, output-128k-2025-02-19"


def test_the_upstream_gets_no_header_the_caller_did_not_send(appliance):
    """Beside the caller's own: Host, Content-Length and accept-encoding only
    (no User-Agent, Accept or Content-Type of the transport's)."""
    _, key = appliance.workspace()
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}'
    answer = send_raw(
        appliance,
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
        + f"x-proxy-key: {key}\r\nauthorization: Bearer sk-x\r\n".encode()
        + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body,
    )
    assert answer.startswith(b"HTTP/1.1 200")
    names = [name for name, _ in appliance.upstream.seen[-1].raw_headers]
    assert sorted(names) == [
        b"accept-encoding",
        b"authorization",
        b"content-length",
        b"host",
    ]


def test_a_get_passed_through_carries_no_content_length(appliance):
    _, key = appliance.workspace()
    response = httpx.get(
        appliance.url + "/v1/models",
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
    )
    assert response.status_code == 200
    assert "content-length" not in appliance.upstream.seen[-1].headers


def test_expect_100_continue_is_answered_here_and_not_forwarded(appliance):
    """Optera reads the whole body before forwarding; forwarded, the header made
    the transport wait for a 100 Continue that most upstreams never send."""
    _, key = appliance.workspace()
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}'
    answer = send_raw(
        appliance,
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\n"
        + f"x-proxy-key: {key}\r\nauthorization: Bearer sk-x\r\n".encode()
        + b"content-type: application/json\r\n"
        + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body,
    )
    assert b"HTTP/1.1 200" in answer
    assert "expect" not in appliance.upstream.seen[-1].headers


def test_headers_a_connection_header_lists_are_not_forwarded(appliance):
    _, key = appliance.workspace()
    response = post_chat(
        appliance,
        key,
        connection="keep-alive, x-hop-secret",
        **{"x-hop-secret": "1", "x-kept": "2"},
    )
    assert response.status_code == 200
    seen = appliance.upstream.seen[-1].headers
    assert "x-hop-secret" not in seen
    assert seen["x-kept"] == "2"


@contextmanager
def one_answer_upstream(answer: Callable[[bytes], bytes]) -> Iterator[str]:
    """A raw TCP upstream that reads one request and sends `answer(request)`;
    yields its base URL."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(answer(connection.recv(65536)))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        thread.join(5)
        server.close()


def test_an_answer_that_is_not_http_is_502(appliance_factory, caplog):
    with one_answer_upstream(lambda _: b"THIS IS NOT HTTP\r\n\r\n") as base:
        appliance = appliance_factory(upstream={"openai_base_url": base})
        _, key = appliance.workspace()
        caplog.set_level(logging.WARNING, logger="appliance")
        response = httpx.post(
            appliance.url + CHAT + "?key=sk-in-the-query",
            headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
        )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"
    # The operator learns why; no key of the request is in the log.
    [warning] = [r.getMessage() for r in caplog.records if "transport" in r.msg]
    assert "Bad status line" in warning
    assert "sk-in-the-query" not in caplog.text
    assert "sk-x" not in caplog.text


def _keys_in_a_bad_header(request: bytes) -> bytes:
    lines = [
        line
        for line in request.split(b"\r\n")
        if line.lower().startswith((b"authorization", b"x-api-key"))
    ]
    return b"HTTP/1.1 200 OK\r\nBad Header\x01: " + b" ".join(lines) + b"\r\n\r\n"


def test_an_answer_echoing_the_request_keys_leaves_them_out_of_the_log(
    appliance_factory, caplog
):
    with one_answer_upstream(_keys_in_a_bad_header) as base:
        appliance = appliance_factory(upstream={"openai_base_url": base})
        _, key = appliance.workspace()
        caplog.set_level(logging.WARNING, logger="appliance")
        response = post_chat(appliance, key, **{"x-api-key": "sk-second-secret"})
    assert response.status_code == 502
    [warning] = [r.getMessage() for r in caplog.records if "transport" in r.msg]
    assert "BadHttpMessage" in warning
    assert "[key]" in warning
    assert "sk-x" not in caplog.text
    assert "sk-second-secret" not in caplog.text
    assert key not in caplog.text


def test_a_stream_compressed_against_our_ask_is_relayed_decoded(appliance):
    _, key = appliance.workspace()
    appliance.upstream.reply(gzip=True)
    client = appliance.openai(key)
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == appliance.upstream.text
    appliance.flush()
    [record] = appliance.records()
    assert record.completion_tokens == 300


def test_an_answer_whose_gzip_is_corrupt_is_502(appliance):
    _, key = appliance.workspace()
    appliance.upstream.reply(
        body=b"\x1f\x8b\x08\x00garbagegarbage", headers={"content-encoding": "gzip"}
    )
    response = post_chat(appliance, key)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"


def test_an_answer_in_a_coding_httpx_cannot_undo_passes_with_its_coding(appliance):
    """Decoded or passed as it came, never decoded-looking but still encoded."""
    _, key = appliance.workspace()
    appliance.upstream.reply(
        body=b"\x0b\x02\x80{}\x03", headers={"content-encoding": "x-custom"}
    )
    response = post_chat(appliance, key)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "x-custom"
    assert response.content == b"\x0b\x02\x80{}\x03"


def test_a_callers_content_encoding_is_forwarded_with_its_body(appliance):
    _, key = appliance.workspace()
    body = gzip.compress(b'{"purpose": "batch"}')
    response = httpx.post(
        appliance.url + "/v1/files",
        headers={
            "x-proxy-key": key,
            "authorization": "Bearer sk-x",
            "content-type": "application/json",
            "content-encoding": "gzip",
        },
        content=body,
    )
    seen = appliance.upstream.seen[-1]
    assert response.status_code != 500
    assert seen.headers["content-encoding"] == "gzip"
    assert seen.raw == body


@pytest.mark.parametrize(
    "path", ["/v1/models%0a", "/v1/models%0d%0aX-Inj:1", "/v1/a%00b"]
)
def test_a_path_with_an_encoded_control_character_is_404_and_not_forwarded(
    appliance, path
):
    _, key = appliance.workspace()
    answer = raw_request(appliance, f"GET {path} HTTP/1.1", key)
    assert answer.startswith(b"HTTP/1.1 404")
    assert appliance.upstream.seen == []
