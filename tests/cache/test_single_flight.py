"""Identical requests in flight at once go upstream once."""

from __future__ import annotations

import asyncio

import httpx

from tests.cache.conftest import QUESTION

BODY = {"model": "gpt-4o", "messages": QUESTION}


async def send_together(app, key: str, bodies: list[dict]) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    headers = {"x-proxy-key": key, "authorization": "Bearer sk"}
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        calls = [
            client.post("/v1/chat/completions", json=b, headers=headers) for b in bodies
        ]
        return await asyncio.gather(*calls)


async def test_concurrent_identical_requests_go_upstream_once(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.latency = 0.3
    responses = await send_together(app, key, [BODY] * 8)
    assert [r.status_code for r in responses] == [200] * 8
    assert len(app.upstream.seen) == 1
    assert len({r.content for r in responses}) == 1
    hits = [r.headers["x-cache-hit"] for r in responses]
    assert hits.count("true") == 7 and hits.count("false") == 1
    assert {
        r.headers["x-tokens-saved"]
        for r in responses
        if r.headers["x-cache-hit"] == "true"
    } == {"1500"}


async def test_streaming_leader_serves_plain_and_streaming_followers(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.latency = 0.3
    streaming = {**BODY, "stream": True}
    responses = await send_together(app, key, [streaming, BODY, streaming, BODY])
    assert len(app.upstream.seen) == 1
    assert (
        responses[1].json()["choices"][0]["message"]["content"]
        == "Paris is the capital of France."
    )
    assert responses[2].headers["x-cache-hit"] == "true"
    assert b"data: [DONE]" in responses[2].content
    assert b"Paris" in responses[0].content


async def test_followers_go_upstream_themselves_when_the_leader_fails(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(status=500, delay=0.3, body={"error": {"message": "boom"}})
    responses = await send_together(app, key, [BODY] * 4)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 500]
    assert len(app.upstream.seen) == 4
    assert len(app.runtime.caches.flights) == 0
