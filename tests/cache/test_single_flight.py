"""Identical requests in flight at once go upstream once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

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


@pytest.mark.parametrize("leader_streams", [True, False])
async def test_streaming_and_plain_requests_share_one_flight(
    quiet_appliance, leader_streams
):
    # The leader is sent first and given a moment to reach the proxy; each
    # follower is then served the leader's entry in its own shape: JSON for
    # a plain request, SSE for a streaming one.
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.latency = 0.3
    streaming = {**BODY, "stream": True}
    headers = {"x-proxy-key": key, "authorization": "Bearer sk"}
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:

        async def send(body: dict) -> httpx.Response:
            return await client.post("/v1/chat/completions", json=body, headers=headers)

        leader = asyncio.create_task(send(streaming if leader_streams else BODY))
        await asyncio.sleep(0.1)
        followers = await asyncio.gather(send(streaming), send(BODY))
        first = await leader
    assert len(app.upstream.seen) == 1
    assert first.headers["x-cache-hit"] == "false"
    assert [r.headers["x-cache-hit"] for r in followers] == ["true", "true"]
    stream, plain = followers
    assert (
        plain.json()["choices"][0]["message"]["content"]
        == "Paris is the capital of France."
    )
    for sse in [stream, first] if leader_streams else [stream]:
        assert sse.headers["content-type"].startswith("text/event-stream")
        assert b"Paris" in sse.content
        assert sse.content.rstrip().endswith(b"data: [DONE]")


async def test_followers_go_upstream_themselves_when_the_leader_fails(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(status=500, delay=0.3, body={"error": {"message": "boom"}})
    responses = await send_together(app, key, [BODY] * 4)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 500]
    assert len(app.upstream.seen) == 4
    assert len(app.runtime.caches.flights) == 0
