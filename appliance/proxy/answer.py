"""A finished (non-streamed) answer, sent as two raw ASGI messages.

Litestar's Response scans its whole header list for each default it sets
(content type and length), and an Optera answer carries about twenty
headers: that scan was a tenth of a relayed request's CPU. Streams still go
out as Litestar Streams.
"""

from __future__ import annotations

from litestar.types import Receive, Scope, Send

NO_BODY = frozenset({204, 304})


class Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        media_type: str,
    ) -> None:
        encoded = [(b"content-type", _encode(media_type))]
        if status in NO_BODY or status < 200:
            body = b""
        else:
            encoded.append((b"content-length", str(len(body)).encode()))
        encoded += [(name.lower().encode(), _encode(value)) for name, value in headers]
        self.status = status
        self.headers = encoded
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


def _encode(value: str) -> bytes:
    """Header values travel as latin-1; one httpx decoded as UTF-8 goes back so."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
