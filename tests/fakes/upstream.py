"""A fake provider on loopback speaking OpenAI's and Anthropic's wire formats.

Tests script it: queue replies with `reply(...)`, set the usage it reports,
and read back every request it received (path, headers, JSON body).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

OPENAI_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}
ANTHROPIC_USAGE = {
    "input_tokens": 1200,
    "output_tokens": 300,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False
    chunk_delay: float = 0.0
    cut_after: int | None = None
    gzip: bool = False  # a stream compressed, as if accept-encoding were ignored


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""  # the body's bytes as they arrived
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    raw_path: bytes = b""  # the path as it arrived, escapes kept
    query: bytes = b""


class FakeUpstream:
    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.seen: list[Seen] = []
        self.openai_usage: dict[str, Any] = json.loads(json.dumps(OPENAI_USAGE))
        self.anthropic_usage: dict[str, Any] = dict(ANTHROPIC_USAGE)
        self.text = "Paris is the capital of France."
        # Optional answer shapes: tool calls as (id, name, arguments), an
        # OpenAI refusal, an Anthropic thinking block (text, signature).
        self.tool_calls: list[tuple[str, str, dict]] = []
        self.refusal: str | None = None
        self.thinking: tuple[str, str] | None = None
        self.latency = 0.0
        self.disconnected = 0
        self.completed_streams = 0

    def reply(self, **kwargs: Any) -> None:
        self.script.append(Scripted(**kwargs))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.seen.append(
            Seen(
                scope["method"],
                scope["path"],
                headers,
                body,
                raw,
                list(scope["headers"]),
                scope.get("raw_path", b""),
                scope.get("query_string", b""),
            )
        )
        scripted = self.script.popleft() if self.script else Scripted()
        if self.latency:
            await asyncio.sleep(self.latency)
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        if scripted.hang:
            await asyncio.sleep(3600)
        await self._answer(scope["path"], body, scripted, send, receive)

    async def _answer(
        self, path: str, body: Any, scripted: Scripted, send: Any, receive: Any
    ) -> None:
        if scripted.status != 200 or scripted.body is not None:
            payload = (
                scripted.body
                if scripted.body is not None
                else {"error": {"message": "boom"}}
            )
            await _json(send, scripted.status, payload, scripted.headers)
            return
        stream = isinstance(body, dict) and body.get("stream") is True
        if path.endswith("/chat/completions"):
            if stream:
                await self._openai_stream(body, scripted, send, receive)
            else:
                await _json(send, 200, self.openai_completion(body), scripted.headers)
        elif path.endswith("/messages"):
            if stream:
                await self._anthropic_stream(body, scripted, send, receive)
            else:
                await _json(send, 200, self.anthropic_message(body), scripted.headers)
        elif path.endswith("/responses") and stream:
            await self._stream(_response_events(body), scripted, send, receive)
        elif path.endswith("/embeddings"):
            await _json(send, 200, _embeddings(body), scripted.headers)
        elif path.endswith("/models"):
            await _json(
                send,
                200,
                {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]},
            )
        else:
            await _json(
                send,
                404,
                {
                    "error": {
                        "message": f"no route {path}",
                        "type": "invalid_request_error",
                    }
                },
            )

    def openai_message(self) -> dict:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if self.tool_calls or self.refusal else self.text,
            "refusal": self.refusal,
        }
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for call_id, name, arguments in self.tool_calls
            ]
        return message

    def openai_completion(self, body: dict) -> dict:
        return {
            "id": "chatcmpl-fake123",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": self.openai_message(),
                    "logprobs": None,
                    "finish_reason": "tool_calls" if self.tool_calls else "stop",
                }
            ],
            "usage": self.openai_usage,
            "system_fingerprint": "fp_fake",
        }

    def anthropic_message(self, body: dict) -> dict:
        return {
            "id": "msg_fake123",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": self.anthropic_content(),
            "stop_reason": "tool_use" if self.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": self.anthropic_usage,
        }

    def anthropic_content(self) -> list[dict]:
        blocks: list[dict] = []
        if self.thinking:
            text, signature = self.thinking
            thinking = {"type": "thinking", "thinking": text, "signature": signature}
            blocks.append(thinking)
        blocks.append({"type": "text", "text": self.text})
        blocks += [
            {"type": "tool_use", "id": call_id, "name": name, "input": arguments}
            for call_id, name, arguments in self.tool_calls
        ]
        return blocks

    def openai_deltas(self) -> list[dict]:
        """The deltas after the role chunk: text, refusal or tool calls in pieces."""
        if self.refusal:
            half = len(self.refusal) // 2
            return [{"refusal": self.refusal[:half]}, {"refusal": self.refusal[half:]}]
        if not self.tool_calls:
            words = self.text.split(" ")
            return [
                {"content": word if index == 0 else " " + word}
                for index, word in enumerate(words)
            ]
        deltas: list[dict] = []
        for position, (call_id, name, arguments) in enumerate(self.tool_calls):
            text = json.dumps(arguments)
            half = len(text) // 2
            head = {"name": name, "arguments": ""}
            opening = {"index": position, "id": call_id, "type": "function"}
            deltas.append({"tool_calls": [{**opening, "function": head}]})
            for piece in (text[:half], text[half:]):
                call = {"index": position, "function": {"arguments": piece}}
                deltas.append({"tool_calls": [call]})
        return deltas

    def openai_events(self, body: dict) -> list[bytes]:
        base = {
            "id": "chatcmpl-fake123",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": body.get("model"),
        }
        include_usage = (body.get("stream_options") or {}).get("include_usage") is True
        usage_field = {"usage": None} if include_usage else {}
        opening = "" if not (self.tool_calls or self.refusal) else None
        chunks = [
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": opening},
                        "finish_reason": None,
                    }
                ],
                **usage_field,
            }
        ]
        for delta in self.openai_deltas():
            chunks.append(
                {
                    **base,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    **usage_field,
                }
            )
        finish = "tool_calls" if self.tool_calls else "stop"
        chunks.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                **usage_field,
            }
        )
        if include_usage:
            chunks.append({**base, "choices": [], "usage": self.openai_usage})
        events = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
        events.insert(1, b": keep-alive\n\n")
        return [*events, b"data: [DONE]\n\n"]

    def anthropic_events(self, body: dict) -> list[bytes]:
        start_usage = {**self.anthropic_usage, "output_tokens": 1}
        message = {
            "id": "msg_fake123",
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        events: list[tuple[str, dict]] = [
            ("message_start", {"type": "message_start", "message": message}),
        ]
        for index, block in enumerate(self.anthropic_content()):
            start, deltas = _anthropic_block_stream(block)
            opening = {"type": "content_block_start", "index": index}
            events.append(("content_block_start", {**opening, "content_block": start}))
            if index == 0:
                events.append(("ping", {"type": "ping"}))
            events += [
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
                for delta in deltas
            ]
            events.append(
                ("content_block_stop", {"type": "content_block_stop", "index": index})
            )
        stop_reason = "tool_use" if self.tool_calls else "end_turn"
        events += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": self.anthropic_usage["output_tokens"]},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return [
            f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            for name, data in events
        ]

    async def _openai_stream(
        self, body: dict, scripted: Scripted, send: Any, receive: Any
    ) -> None:
        await self._stream(self.openai_events(body), scripted, send, receive)

    async def _anthropic_stream(
        self, body: dict, scripted: Scripted, send: Any, receive: Any
    ) -> None:
        await self._stream(self.anthropic_events(body), scripted, send, receive)

    async def _stream(
        self, events: list[bytes], scripted: Scripted, send: Any, receive: Any
    ) -> None:
        headers = [
            (b"content-type", b"text/event-stream"),
            (b"x-request-id", b"req_upstream_1"),
        ]
        data = b"".join(events)
        if scripted.gzip:
            headers.append((b"content-encoding", b"gzip"))
            data = gzip.compress(data)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        # Deliberately uneven reads: events split across sends, several in one send.
        pieces = [data[i : i + 37] for i in range(0, len(data), 37)]
        for index, piece in enumerate(pieces):
            if scripted.cut_after is not None and index >= scripted.cut_after:
                break
            try:
                await send(
                    {"type": "http.response.body", "body": piece, "more_body": True}
                )
            except OSError:
                self.disconnected += 1
                return
            if scripted.chunk_delay:
                disconnected = await _wait_disconnect(receive, scripted.chunk_delay)
                if disconnected:
                    self.disconnected += 1
                    return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.completed_streams += 1


def _anthropic_block_stream(block: dict) -> tuple[dict, list[dict]]:
    """A content block's start form and the deltas that fill it in."""
    if block["type"] == "thinking":
        text = block["thinking"]
        half = len(text) // 2
        deltas = [
            {"type": "thinking_delta", "thinking": text[:half]},
            {"type": "thinking_delta", "thinking": text[half:]},
            {"type": "signature_delta", "signature": block["signature"]},
        ]
        return {"type": "thinking", "thinking": "", "signature": ""}, deltas
    if block["type"] == "tool_use":
        text = json.dumps(block["input"])
        half = len(text) // 2
        deltas = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in ("", text[:half], text[half:])
        ]
        return {**block, "input": {}}, deltas
    words = block["text"].split(" ")
    deltas = [
        {"type": "text_delta", "text": word if index == 0 else " " + word}
        for index, word in enumerate(words)
    ]
    return {"type": "text", "text": ""}, deltas


async def _wait_disconnect(receive: Any, seconds: float) -> bool:
    try:
        message = await asyncio.wait_for(receive(), timeout=seconds)
    except TimeoutError:
        return False
    return message.get("type") == "http.disconnect"


def embedding_of(index: int, text: Any) -> list[float]:
    """The fake's vector: its last component names the input text."""
    code = sum(ord(char) for char in str(text)) % 997
    return [0.1 * (index + 1), 0.2, 0.3, float(code)]


def _response_events(body: dict) -> list[bytes]:
    """OpenAI's Responses API stream: created, text deltas, completed with usage."""
    usage = {"input_tokens": 40, "output_tokens": 6, "total_tokens": 46}
    events = [
        (
            "response.created",
            {
                "type": "response.created",
                "response": {"id": "resp_1", "model": body.get("model")},
            },
        ),
        (
            "response.output_text.delta",
            {"type": "response.output_text.delta", "delta": "Hello"},
        ),
        (
            "response.output_text.delta",
            {"type": "response.output_text.delta", "delta": " there"},
        ),
        (
            "response.completed",
            {
                "type": "response.completed",
                "response": {"id": "resp_1", "usage": usage},
            },
        ),
    ]
    return [
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events
    ]


def _embeddings(body: Any) -> dict:
    inputs = body.get("input") if isinstance(body, dict) else []
    inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
    data = [
        {"object": "embedding", "index": i, "embedding": embedding_of(i, text)}
        for i, text in enumerate(inputs)
    ]
    tokens = sum(len(str(text).split()) for text in inputs)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


async def _json(
    send: Any, status: int, payload: Any, headers: dict[str, str] | None = None
) -> None:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {"type": "http.response.start", "status": status, "headers": raw_headers}
    )
    await send({"type": "http.response.body", "body": data})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
