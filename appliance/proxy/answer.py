"""Answers sent as raw ASGI messages: a finished one, and a relayed stream.

Litestar's Response scans its whole header list for each default it sets
(content type and length), and an Optera answer carries about twenty
headers: that scan was a tenth of a relayed request's CPU. Its Stream also
runs each stream in an anyio task group, about as much again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar.types import Receive, Scope, Send

from appliance.proxy.headers import wire_value

NO_BODY = frozenset({204, 304})


class Answer:
    """A whole answer; `headers` are already the wire's bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        media_type: str,
    ) -> None:
        if status in NO_BODY or status < 200:
            body = b""
            own = [(b"content-type", wire_value(media_type))]
        else:
            length = str(len(body)).encode()
            own = [
                (b"content-type", wire_value(media_type)),
                (b"content-length", length),
            ]
        self.status = status
        self.headers = own + headers
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": self.headers,
            }
        )
        await send(
            {"type": "http.response.body", "body": self.body, "more_body": False}
        )


class StreamAnswer:
    """A stream relayed chunk by chunk as each one arrives. A client that
    leaves cancels the relay (and so the upstream request) at once, even
    while the upstream is silent between chunks."""

    __slots__ = ("chunks", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        chunks: AsyncIterator[bytes],
        media_type: str,
    ) -> None:
        if media_type.startswith("text/") and "charset" not in media_type:
            media_type += "; charset=utf-8"  # as the providers' own streams say
        self.status = status
        self.headers = [(b"content-type", wire_value(media_type)), *headers]
        self.chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        relaying = asyncio.current_task()
        assert relaying is not None
        left = asyncio.Event()

        def client_left(watch: asyncio.Task[None]) -> None:
            if not watch.cancelled():
                left.set()
                relaying.cancel()

        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": self.headers,
            }
        )
        watch = asyncio.create_task(_until_disconnect(receive))
        watch.add_done_callback(client_left)
        try:
            async for chunk in self.chunks:
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
            # The server answers `receive` with a disconnect once the body is
            # complete: that is no client leaving.
            watch.remove_done_callback(client_left)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not left.is_set():
                raise
            relaying.uncancel()
        finally:
            watch.remove_done_callback(client_left)
            watch.cancel()
            close = getattr(self.chunks, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
