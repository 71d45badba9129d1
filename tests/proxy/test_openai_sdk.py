"""The OpenAI SDK through Optera against the fake upstream: headers, bodies, records."""

from __future__ import annotations

from decimal import Decimal

import httpx
import openai
import pytest

from appliance.proxy.headers import SAVINGS_HEADERS
from appliance.store import keys as key_store


def client_for(appliance, key: str, **kwargs) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return appliance.track(
        openai.OpenAI(
            api_key="sk-provider-secret-123",
            base_url=appliance.url + "/v1",
            default_headers={"x-proxy-key": key, **kwargs},
            max_retries=0,
        )
    )


def test_chat_completion_returns_provider_body_and_all_headers(appliance):
    _, key = appliance.workspace()
    client = client_for(
        appliance, key, **{"x-feature-tag": "chat-support", "x-team-tag": "backend"}
    )
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Paris is the capital of France."
    assert completion.usage.prompt_tokens == 1200
    for name in SAVINGS_HEADERS:
        assert name.lower() in raw.headers, name
    assert raw.headers["x-tokens-saved"] == "0"
    assert raw.headers["x-cost-saved-usd"] == "0"
    assert raw.headers["x-cache-hit"] == "false"
    assert raw.headers["x-model-routed"] == "gpt-4o"
    assert raw.headers["x-original-model"] == "gpt-4o"
    assert raw.headers["x-optera-quota-limit"] == "100000"
    assert raw.headers["x-optera-quota-remaining"] == "99999"


def test_provider_key_forwarded_and_proxy_headers_stripped(appliance):
    _, key = appliance.workspace()
    client = client_for(
        appliance, key, **{"x-user-tag": "tenant-9", "x-optera-cache": "off"}
    )
    client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
    )
    seen = appliance.upstream.seen[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-provider-secret-123"
    assert "x-proxy-key" not in seen.headers
    assert "x-user-tag" not in seen.headers
    assert "x-optera-cache" not in seen.headers


def test_usage_record_has_exact_tokens_and_dollars(appliance):
    _, key = appliance.workspace()
    appliance.upstream.openai_usage["prompt_tokens_details"]["cached_tokens"] = 1000
    client = client_for(appliance, key, **{"x-feature-tag": "search"})
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello"}]
    )
    # gpt-4o: $2.50 / MTok input, $1.25 cached input, $10 output.
    # 200 plain * 2.5 + 1000 cached * 1.25 + 300 out * 10
    #   = 500 + 1250 + 3000 = 4750 / 1e6
    assert raw.headers["x-provider-cache-hit"] == "true"
    assert raw.headers["x-provider-cache-savings-usd"] == "0.00125"
    appliance.flush()
    [record] = appliance.records()
    assert record.feature_tag == "search"
    assert record.prompt_tokens == 1200
    assert record.completion_tokens == 300
    assert record.cached_tokens == 1000
    assert record.cost_usd == Decimal("0.00475")
    assert record.provider_cache_saved_usd == Decimal("0.00125")
    assert record.status == 200


def test_streaming_relays_chunks_and_hides_usage_chunk_not_asked_for(appliance):
    _, key = appliance.workspace()
    client = client_for(appliance, key)
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hello"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Paris is the capital of France."
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert appliance.upstream.seen[-1].body["stream_options"] == {"include_usage": True}
    appliance.flush()
    [record] = appliance.records()
    assert record.streamed is True
    assert record.aborted is False
    assert record.prompt_tokens == 1200
    assert record.completion_tokens == 300
    assert record.cost_usd == Decimal("0.006")


def test_streaming_keeps_usage_chunk_when_caller_asked(appliance):
    _, key = appliance.workspace()
    chunks = list(
        client_for(appliance, key).chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 300


async def test_async_client_works_streaming_and_not(appliance):
    _, key = appliance.workspace()
    client = openai.AsyncOpenAI(
        api_key="sk-x",
        base_url=appliance.url + "/v1",
        default_headers={"x-proxy-key": key},
        max_retries=0,
    )
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert completion.choices[0].message.content == "Paris is the capital of France."
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    pieces = [c.choices[0].delta.content async for c in stream if c.choices]
    assert "".join(p or "" for p in pieces) == "Paris is the capital of France."
    await client.close()


def test_missing_proxy_key_is_401_in_openai_format(appliance):
    client = appliance.track(
        openai.OpenAI(api_key="sk-x", base_url=appliance.url + "/v1", max_retries=0)
    )
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "missing_proxy_key"
    assert appliance.upstream.seen == []


def test_invalid_and_revoked_keys_are_401(appliance):
    ws_id, key = appliance.workspace()
    with pytest.raises(openai.AuthenticationError):
        client_for(appliance, "opk_wrong").chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
        )
    [row] = key_store.list_for(appliance.runtime.engine, ws_id)
    key_store.revoke(appliance.runtime.engine, row.id)
    appliance.runtime.keys.clear()
    with pytest.raises(openai.AuthenticationError) as caught:
        client_for(appliance, key).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.body["code"] == "invalid_proxy_key"


def test_inactive_subscription_is_402(appliance):
    _, key = appliance.workspace(active=False)
    with pytest.raises(openai.APIStatusError) as caught:
        client_for(appliance, key).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]
        )
    assert caught.value.status_code == 402
    assert caught.value.body["code"] == "subscription_required"


def test_upstream_error_passes_back_unchanged(appliance):
    _, key = appliance.workspace()
    body = {
        "error": {
            "message": "Rate limit reached for gpt-4o",
            "type": "requests",
            "code": "rate_limit_exceeded",
        }
    }
    appliance.upstream.reply(
        status=429,
        body=body,
        headers={"retry-after": "7", "x-ratelimit-remaining-requests": "0"},
    )
    response = httpx.post(
        appliance.url + "/v1/chat/completions",
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == 429
    assert response.json() == body
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"


def test_savings_headers_are_exposed_to_browsers(appliance):
    _, key = appliance.workspace()
    preflight = httpx.options(
        appliance.url + "/v1/chat/completions",
        headers={
            "origin": "https://app.example.com",
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-proxy-key,content-type,authorization",
        },
    )
    assert preflight.status_code in (200, 204)
    response = httpx.post(
        appliance.url + "/v1/chat/completions",
        headers={
            "x-proxy-key": key,
            "authorization": "Bearer sk",
            "origin": "https://app.example.com",
        },
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    exposed = {
        h.strip().lower()
        for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {name.lower() for name in SAVINGS_HEADERS} <= exposed
    assert "x-optera-quota-remaining" in exposed


def test_an_upstream_header_named_like_ours_does_not_override_it(appliance):
    _, key = appliance.workspace()
    appliance.upstream.reply(
        headers={"x-cache-hit": "true", "x-tokens-saved": "999", "x-upstream": "a"}
    )
    response = httpx.post(
        appliance.url + "/v1/chat/completions",
        headers={"x-proxy-key": key, "authorization": "Bearer sk-x"},
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == 200
    assert response.headers.get_list("x-cache-hit") == ["false"]
    assert response.headers.get_list("x-tokens-saved") == ["0"]
    assert response.headers["x-upstream"] == "a"
    assert response.headers.get_list("content-type") == ["application/json"]


def test_header_bytes_outside_ascii_pass_both_ways_as_sent(appliance):
    """A caller's UTF-8 header reaches the upstream, and the upstream's comes
    back, byte for byte: neither is decoded and encoded again on the way."""
    _, key = appliance.workspace()
    appliance.upstream.reply(headers={"x-upstream-note": "Café Ω"})
    response = httpx.post(
        appliance.url + "/v1/chat/completions",
        headers={
            "x-proxy-key": key,
            "authorization": "Bearer sk-x",
            "x-title": "Crème brûlée".encode(),
        },
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert response.status_code == 200
    assert appliance.upstream.seen[-1].headers["x-title"] == "Crème brûlée"
    raw = dict(response.headers.raw)
    assert raw[b"x-upstream-note"] == "Café Ω".encode()
