"""Anthropic messages: a complete body as the stream's event sequence, and back.

message_start, then per content block content_block_start, its deltas
(text_delta and citations_delta, thinking_delta and signature_delta,
input_json_delta for tool input) and content_block_stop, then message_delta
and message_stop.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.providers.sse import SseEvent
from appliance.providers.usage import Usage

MESSAGE_STREAMED = frozenset({"content", "stop_reason", "stop_sequence", "usage"})
STOP_FIELDS = ("stop_reason", "stop_sequence")


def events_of(body: dict[str, Any]) -> list[bytes]:
    """The SSE events of a stream that delivers `body`."""
    usage = dict(body.get("usage") or {})
    message = {k: v for k, v in body.items() if k not in MESSAGE_STREAMED}
    message.update(content=[], stop_reason=None, stop_sequence=None)
    message["usage"] = {**usage, "output_tokens": 0}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message})
    ]
    for index, block in enumerate(body.get("content") or []):
        events += _block_events(index, block)
    stop = {name: body.get(name) for name in STOP_FIELDS}
    events += [
        ("message_delta", {"type": "message_delta", "delta": stop, "usage": usage}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [_event(name, data) for name, data in events]


def _block_events(index: int, block: dict[str, Any]) -> list[tuple[str, dict]]:
    kind = block.get("type")
    start = dict(block)
    deltas: list[dict[str, Any]] = []
    if kind == "text":
        start["text"] = ""
        deltas.append({"type": "text_delta", "text": block.get("text", "")})
        citations = block.get("citations")
        if isinstance(citations, list) and citations:
            del start["citations"]
            deltas += [{"type": "citations_delta", "citation": c} for c in citations]
    elif kind == "thinking":
        start.update(thinking="", signature="")
        deltas.append({"type": "thinking_delta", "thinking": block.get("thinking", "")})
        if block.get("signature"):
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif "input" in block:
        start["input"] = {}
        partial = json.dumps(block["input"], ensure_ascii=False)
        deltas.append({"type": "input_json_delta", "partial_json": partial})
    return [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        ),
        *(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            for delta in deltas
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def body_of(events: list[SseEvent], usage: Usage | None) -> dict[str, Any] | None:
    """The complete message a stream delivered, or None when it did not finish."""
    message: dict[str, Any] | None = None
    blocks: dict[int, dict[str, Any]] = {}
    partials: dict[int, str] = {}
    stopped = False
    for event in events:
        payload = _parse(event.data)
        kind = payload.get("type") if payload else None
        if kind == "error":
            return None
        if kind == "message_start":
            message = dict(payload["message"])  # type: ignore[index]
            message["usage"] = dict(message.get("usage") or {})
        elif kind == "content_block_start":
            blocks[payload["index"]] = dict(payload["content_block"])  # type: ignore[index]
        elif kind == "content_block_delta":
            _apply_delta(blocks, partials, payload)  # type: ignore[arg-type]
        elif kind == "content_block_stop":
            _close_block(blocks, partials, payload["index"])  # type: ignore[index]
        elif kind == "message_delta" and message is not None:
            message.update(payload.get("delta") or {})  # type: ignore[union-attr]
            given = payload.get("usage") or {}  # type: ignore[union-attr]
            message["usage"].update({k: v for k, v in given.items() if v is not None})
        elif kind == "message_stop":
            stopped = True
    if message is None or not stopped:
        return None
    message["content"] = [blocks[i] for i in sorted(blocks)]
    if not message["usage"] and usage is not None:
        message["usage"] = usage_body(usage)
    return message


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens
        - usage.cache_read_tokens
        - usage.cache_write_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": usage.output_tokens,
    }


def _parse(data: str) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def _apply_delta(
    blocks: dict[int, dict[str, Any]], partials: dict[int, str], payload: dict
) -> None:
    index = payload.get("index", 0)
    block = blocks.setdefault(index, {})
    delta = payload.get("delta") or {}
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + delta.get("text", "")
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
    elif kind == "signature_delta":
        block["signature"] = block.get("signature", "") + delta.get("signature", "")
    elif kind == "input_json_delta":
        partials[index] = partials.get(index, "") + delta.get("partial_json", "")
    elif kind == "citations_delta":
        block.setdefault("citations", [])
        block["citations"] = [*(block["citations"] or []), delta.get("citation")]


def _close_block(
    blocks: dict[int, dict[str, Any]], partials: dict[int, str], index: int
) -> None:
    partial = partials.pop(index, "")
    if partial.strip():
        blocks[index]["input"] = json.loads(partial)
