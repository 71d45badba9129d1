"""The Anthropic SDK through Optera: messages, streams, cache usage semantics."""

from __future__ import annotations

from decimal import Decimal

import anthropic
import httpx
import pytest


def client_for(appliance, key: str) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return appliance.track(
        anthropic.Anthropic(
            api_key="sk-ant-provider-secret",
            base_url=appliance.url,
            default_headers={
                "x-proxy-key": key,
                "anthropic-beta": "prompt-caching-2024-07-31",
            },
            max_retries=0,
        )
    )


def test_message_passes_and_headers_are_forwarded(appliance):
    _, key = appliance.workspace()
    raw = client_for(appliance, key).messages.with_raw_response.create(
        model="claude-sonnet-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hello"}],
    )
    message = raw.parse()
    assert message.content[0].text == "Paris is the capital of France."
    assert raw.headers["x-cache-hit"] == "false"
    seen = appliance.upstream.seen[-1]
    assert seen.path == "/v1/messages"
    # This SDK sends the key as a bearer token; older ones use x-api-key.
    sent_key = seen.headers.get("x-api-key") or seen.headers["authorization"]
    assert sent_key.removeprefix("Bearer ") == "sk-ant-provider-secret"
    assert seen.headers["anthropic-version"]
    assert seen.headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert "x-proxy-key" not in seen.headers


def test_cache_read_and_write_are_priced_with_anthropic_semantics(appliance):
    _, key = appliance.workspace()
    # Anthropic's input_tokens exclude both cache classes.
    appliance.upstream.anthropic_usage.update(
        input_tokens=200,
        cache_read_input_tokens=1000,
        cache_creation_input_tokens=400,
        output_tokens=300,
    )
    raw = client_for(appliance, key).messages.with_raw_response.create(
        model="claude-sonnet-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hello"}],
    )
    # Sonnet 4.5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per MTok.
    # actual = 200*3 + 1000*0.3 + 400*3.75 + 300*15
    #        = 600 + 300 + 1500 + 4500 = 6900 / 1e6
    # uncached = 1600*3 + 300*15 = 4800 + 4500 = 9300 / 1e6; saving 0.0024
    assert raw.headers["x-provider-cache-hit"] == "true"
    assert raw.headers["x-provider-cache-savings-usd"] == "0.0024"
    appliance.flush()
    [record] = appliance.records()
    assert record.prompt_tokens == 1600
    assert record.cached_tokens == 1000
    assert record.cache_write_tokens == 400
    assert record.cost_usd == Decimal("0.0069")


def test_stream_is_relayed_and_metered(appliance):
    _, key = appliance.workspace()
    with client_for(appliance, key).messages.stream(
        model="claude-sonnet-4-5",
        max_tokens=100,
        messages=[{"role": "user", "content": "Hello"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Paris is the capital of France."
    assert final.usage.output_tokens == 300
    appliance.flush()
    [record] = appliance.records()
    assert record.streamed is True
    assert record.aborted is False
    assert record.prompt_tokens == 1200
    assert record.completion_tokens == 300
    # 1200 * 3 + 300 * 15 = 3600 + 4500 = 8100 / 1e6
    assert record.cost_usd == Decimal("0.0081")


async def test_async_client_streams(appliance):
    _, key = appliance.workspace()
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-x",
        base_url=appliance.url,
        default_headers={"x-proxy-key": key},
        max_retries=0,
    )
    async with client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=50,
        messages=[{"role": "user", "content": "Hi"}],
    ) as stream:
        pieces = [text async for text in stream.text_stream]
    assert "".join(pieces) == "Paris is the capital of France."
    await client.close()


def test_x_api_key_and_version_forwarded_as_sent(appliance):
    _, key = appliance.workspace()
    response = httpx.post(
        appliance.url + "/v1/messages",
        headers={
            "x-proxy-key": key,
            "x-api-key": "sk-ant-raw",
            "anthropic-version": "2023-06-01",
        },
        json={
            "model": "claude-sonnet-4-5",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    assert response.status_code == 200
    seen = appliance.upstream.seen[-1]
    assert seen.headers["x-api-key"] == "sk-ant-raw"
    assert seen.headers["anthropic-version"] == "2023-06-01"


def test_missing_max_tokens_is_400_in_anthropic_format(appliance):
    _, key = appliance.workspace()
    response = httpx.post(
        appliance.url + "/v1/messages",
        headers={
            "x-proxy-key": key,
            "x-api-key": "sk-ant-x",
            "anthropic-version": "2023-06-01",
        },
        json={
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "Hi"}],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in body["error"]["message"]
    assert appliance.upstream.seen == []


def test_anthropic_bad_key_is_401_in_anthropic_format(appliance):
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client_for(appliance, "opk_nope").messages.create(
            model="claude-sonnet-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "Hi"}],
        )
    assert caught.value.body["error"]["type"] == "authentication_error"
