"""A minimal fast fake provider for benchmarks: fixed OpenAI answers, optional latency.

Run: python bench/upstream.py PORT LATENCY_MS [KEEPALIVE_S]

KEEPALIVE_S (default 75) is how long it keeps an idle connection open. Keep
it above the relay's own pool expiry (Optera's `keepalive_expiry_s`, 30 s),
as an upstream should be: uvicorn's default of 5 s closes connections that
a relay's pool still holds, and a request sent on one just as it closes
fails (about 1% of them at concurrency 256 here, on bare relays too).
"""

from __future__ import annotations

import asyncio
import json
import sys

import uvicorn

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello there, how can I help?",
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
    }
).encode()


def stream_events() -> list[bytes]:
    base = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
    }
    events = []
    for word in ["Hello", " there", ",", " how", " can", " I", " help", "?"]:
        chunk = {
            **base,
            "choices": [
                {"index": 0, "delta": {"content": word}, "finish_reason": None}
            ],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n".encode())
    usage = {
        **base,
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
    }
    events.append(f"data: {json.dumps(usage)}\n\n".encode())
    events.append(b"data: [DONE]\n\n")
    return events


EVENTS = stream_events()


def make_app(latency: float):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        if latency:
            await asyncio.sleep(latency)
        if b'"stream":true' in raw.replace(b" ", b""):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            for event in EVENTS:
                await send(
                    {"type": "http.response.body", "body": event, "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": COMPLETION})

    return app


if __name__ == "__main__":
    port, latency_ms = int(sys.argv[1]), float(sys.argv[2])
    uvicorn.run(
        make_app(latency_ms / 1000),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        backlog=4096,
        timeout_keep_alive=int(sys.argv[3]) if len(sys.argv) > 3 else 75,
    )
