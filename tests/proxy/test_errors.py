"""Bad input, transport failures and passed-through endpoints."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from tests.fakes.servers import free_port

CHAT = "/v1/chat/completions"


def post(appliance, key: str, body, path: str = CHAT, **headers):  # type: ignore[no-untyped-def]
    kwargs = {"json": body} if not isinstance(body, (bytes, str)) else {"content": body}
    return httpx.post(
        appliance.url + path,
        headers={
            "x-proxy-key": key,
            "authorization": "Bearer sk-secret-provider",
            **headers,
        },
        timeout=30,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (
            b'{"model": "gpt-4o", "temperature": NaN, "messages": []}',
            "NaN is not a number",
        ),
        (b'{"model": "gpt-4o", "top_p": 1e400, "messages": []}', "out of range"),
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        ({"messages": [{"role": "user", "content": "x"}]}, "'model'"),
        ({"model": 4, "messages": [{"role": "user", "content": "x"}]}, "'model'"),
        ({"model": "gpt-4o", "messages": "hello"}, "'messages'"),
        ({"model": "gpt-4o", "messages": [{"content": "x"}]}, "role"),
        (
            {
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": "x"}],
                "stream": True,
                "stream_options": "x",
            },
            "'stream_options'",
        ),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}, "content"),
        (
            {"model": "gpt-4o", "messages": [{"role": "user", "content": [7]}]},
            "content[0]",
        ),
        (
            b'{"model": "gpt-4o", "messages": '
            b'[{"role": "user", "content": "\\ud800"}]}',
            "lone UTF-16 surrogate",
        ),
        (
            b'{"model": "gpt-4o", "messages": '
            b'[{"role": "user", "content": "\xed\xa0\x80"}]}',
            "lone UTF-16 surrogate",
        ),
        (
            {"model": "gpt-4o\u0000", "messages": [{"role": "user", "content": "x"}]},
            "control characters",
        ),
        (
            {
                "model": "gpt-4o\r\nX-Evil: 1",
                "messages": [{"role": "user", "content": "x"}],
            },
            "control characters",
        ),
        (
            b'{"model": "gpt-4o", "messages": [{"role": "system", "content": "a"},'
            b' {"role": "user", "content": [{"type": "text", "text": "b\\uDFFF"}]}]}',
            "lone UTF-16 surrogate",
        ),
    ],
)
def test_bad_openai_body_is_400_without_upstream_call_or_quota(
    appliance, body, fragment
):
    _, key = appliance.workspace()
    response = post(appliance, key, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]
    assert "Traceback" not in response.text
    assert appliance.upstream.seen == []
    ok = post(
        appliance,
        key,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
    )
    assert ok.headers["x-optera-quota-remaining"] == "99999"


@pytest.mark.parametrize("ttl", ["-5", "abc", "1.5"])
def test_bad_cache_ttl_is_400_before_quota(appliance, ttl):
    _, key = appliance.workspace()
    ask = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    response = post(appliance, key, ask, **{"x-optera-cache-ttl": ttl})
    assert response.status_code == 400
    assert "x-optera-cache-ttl" in response.json()["error"]["message"]
    assert "x-optera-quota-remaining" not in response.headers
    assert appliance.upstream.seen == []
    ok = post(appliance, key, ask)
    assert ok.headers["x-optera-quota-remaining"] == "99999"


def test_passed_through_model_with_a_control_character_still_answers(appliance):
    _, key = appliance.workspace()
    response = post(
        appliance,
        key,
        {"model": "text-embedding-3-small\n", "input": "hi"},
        "/v1/embeddings",
    )
    assert response.status_code == 200
    assert response.headers["x-original-model"] == "text-embedding-3-small"
    [seen] = appliance.upstream.seen
    assert seen.body["model"] == "text-embedding-3-small\n"


@pytest.mark.parametrize("name", ["cache", "compress", "route"])
def test_switch_control_with_another_value_is_400_before_quota(appliance, name):
    _, key = appliance.workspace()
    ask = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    response = post(appliance, key, ask, **{f"x-optera-{name}": "Maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"x-optera-{name} must be 'on' or 'off', not 'maybe'."
    )
    assert appliance.upstream.seen == []
    on = post(appliance, key, ask, **{f"x-optera-{name}": "ON"})
    assert on.status_code == 200
    assert on.headers["x-optera-quota-remaining"] == "99999"


def test_paired_surrogate_escape_passes_as_sent(appliance):
    _, key = appliance.workspace()
    raw = (
        b'{"model": "gpt-4o", "messages": [{"role": "user",'
        b' "content": "smile \\ud83d\\ude00"}]}'
    )
    response = post(appliance, key, raw)
    assert response.status_code == 200
    [seen] = appliance.upstream.seen
    assert seen.raw == raw


def test_lone_surrogate_is_400_in_anthropic_format(appliance):
    _, key = appliance.workspace()
    raw = (
        b'{"model": "claude-sonnet-4-5", "max_tokens": 10,'
        b' "messages": [{"role": "user", "content": "\\udfff"}]}'
    )
    response = post(
        appliance, key, raw, "/v1/messages", **{"anthropic-version": "2023-06-01"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert "lone UTF-16 surrogate" in body["error"]["message"]
    assert appliance.upstream.seen == []


def test_body_over_limit_is_413(appliance_factory):
    appliance = appliance_factory(server={"max_body_bytes": 1000})
    _, key = appliance.workspace()
    big = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 2000}]}
    response = post(appliance, key, big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert appliance.upstream.seen == []


def test_unreachable_upstream_is_502_in_protocol_format(appliance_factory):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    appliance = appliance_factory(
        upstream={"openai_base_url": dead, "anthropic_base_url": dead}
    )
    _, key = appliance.workspace()
    response = post(
        appliance,
        key,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"
    anthropic = post(
        appliance,
        key,
        {
            "model": "claude-sonnet-4-5",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x"}],
        },
        path="/v1/messages",
    )
    assert anthropic.status_code == 502
    assert anthropic.json()["type"] == "error"
    appliance.flush()
    assert [r.status for r in appliance.records()] == [502, 502]


def test_silent_upstream_is_504(appliance_factory):
    appliance = appliance_factory(upstream={"idle_timeout_s": 0.5})
    _, key = appliance.workspace()
    appliance.upstream.reply(hang=True)
    response = post(
        appliance,
        key,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
    )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_other_v1_paths_pass_through_authenticated_and_recorded(appliance):
    _, key = appliance.workspace()
    response = httpx.get(
        appliance.url + "/v1/models",
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
    )
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == "gpt-4o"
    emb = post(
        appliance,
        key,
        {"model": "text-embedding-3-small", "input": ["a b c", "d e"]},
        path="/v1/embeddings",
    )
    assert emb.status_code == 200
    assert len(emb.json()["data"]) == 2
    assert httpx.get(appliance.url + "/v1/models").status_code == 401
    appliance.flush()
    records = appliance.records()
    assert [r.endpoint for r in records] == ["/v1/models", "/v1/embeddings"]
    assert records[1].prompt_tokens == 5


def test_keys_never_reach_logs_or_records(appliance, caplog):
    _, key = appliance.workspace()
    caplog.set_level(logging.DEBUG)
    post(
        appliance,
        key,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
    )
    post(appliance, "opk_wrong_key_value", {"model": "gpt-4o", "messages": []})
    appliance.upstream.reply(status=500, body={"error": {"message": "upstream broke"}})
    post(
        appliance,
        key,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
    )
    appliance.flush()
    text = caplog.text + repr([r.model_dump() for r in appliance.records()])
    assert key not in text
    assert "opk_wrong_key_value" not in text
    assert "sk-secret-provider" not in text


def test_client_leaving_mid_stream_cancels_upstream_and_records_abort(appliance):
    _, key = appliance.workspace()
    appliance.upstream.reply(chunk_delay=0.2)
    body = {
        "model": "gpt-4o",
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    with httpx.stream(
        "POST",
        appliance.url + CHAT,
        json=body,
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
    ) as response:
        first = next(response.iter_raw())
        assert first
    deadline = time.monotonic() + 10
    while appliance.upstream.disconnected == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert appliance.upstream.disconnected == 1
    assert appliance.upstream.completed_streams == 0
    appliance.flush()
    [record] = appliance.records()
    assert record.aborted is True
    assert record.streamed is True


def test_passed_through_stream_is_relayed_as_it_comes(appliance):
    _, key = appliance.workspace()
    body = {"model": "gpt-4o", "stream": True, "input": "Say hello"}
    with httpx.stream(
        "POST",
        appliance.url + "/v1/responses",
        json=body,
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = b"".join(response.iter_raw()).decode()
    assert "response.completed" in text
    assert "stream_options" not in appliance.upstream.seen[-1].body
    appliance.flush()
    [record] = appliance.records()
    assert record.endpoint == "/v1/responses"
    assert record.streamed is True
