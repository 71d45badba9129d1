"""StreamAnswer: chunks go out as they come; a client that leaves stops the relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from appliance.proxy.answer import StreamAnswer


class Client:
    """The ASGI side of one request: what was sent, and when the client leaves."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.gone = asyncio.Event()
        self._asked = False

    async def receive(self) -> dict:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message["more_body"]:
            self.gone.set()  # as servers do once the body is complete


async def test_chunks_go_out_in_order_then_the_body_ends():
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"data: 1\n\n", b"data: 2\n\n"):
            await asyncio.sleep(0)
            yield part

    client = Client()
    answer = StreamAnswer(
        200, [(b"x-a", b"1"), (b"x-a", b"2")], chunks(), "text/event-stream"
    )
    await client.receive()
    await answer({}, client.receive, client.send)  # type: ignore[arg-type]
    start, *bodies = client.sent
    assert start["status"] == 200
    assert start["headers"] == [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"x-a", b"1"),
        (b"x-a", b"2"),
    ]
    assert [(m["body"], m["more_body"]) for m in bodies] == [
        (b"data: 1\n\n", True),
        (b"data: 2\n\n", True),
        (b"", False),
    ]


async def test_a_client_leaving_while_the_upstream_is_silent_stops_the_relay():
    closed = asyncio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            yield b"data: 1\n\n"
            await asyncio.sleep(3600)  # the upstream thinks for an hour
            yield b"data: 2\n\n"
        finally:
            closed.set()

    client = Client()
    await client.receive()
    answer = StreamAnswer(200, [], chunks(), "text/event-stream")

    async def serve() -> int:
        await answer({}, client.receive, client.send)  # type: ignore[arg-type]
        task = asyncio.current_task()
        assert task is not None
        return task.cancelling()

    task = asyncio.create_task(serve())
    await asyncio.sleep(0.05)
    client.gone.set()
    cancelling = await asyncio.wait_for(task, 2)
    assert closed.is_set()
    assert cancelling == 0
    assert [m.get("body") for m in client.sent[1:]] == [b"data: 1\n\n"]


async def test_a_cancellation_from_outside_is_not_swallowed():
    async def chunks() -> AsyncIterator[bytes]:
        yield b"data: 1\n\n"
        await asyncio.sleep(3600)
        yield b"data: 2\n\n"

    client = Client()
    await client.receive()
    answer = StreamAnswer(200, [], chunks(), "text/event-stream")
    task = asyncio.create_task(answer({}, client.receive, client.send))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
