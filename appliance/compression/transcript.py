"""Renders chat turns as plain text for the model that summarizes them."""

from __future__ import annotations

import json
from typing import Any


def render(messages: list[Any], protocol: str) -> str:
    """One paragraph per message: `ROLE: text`, tool calls and results named."""
    pieces = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role", "")).upper()
        text = "\n".join(_texts(message, protocol))
        if text:
            pieces.append(f"{role}: {text}")
    return "\n\n".join(pieces)


def _texts(message: dict[str, Any], protocol: str) -> list[str]:
    content = message.get("content")
    texts = _content(content, protocol)
    if protocol == "openai":
        if message.get("role") == "tool":
            texts = [
                f"[result of tool call {message.get('tool_call_id', '')}] " + t
                for t in texts
            ]
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                texts.append(_call(function.get("name"), function.get("arguments")))
    return texts


def _content(content: Any, protocol: str) -> list[str]:
    if isinstance(content, str):
        return [content] if content else []
    if not isinstance(content, list):
        return []
    texts = []
    for block in content:
        if isinstance(block, dict):
            texts.extend(_block(block, protocol))
    return texts


def _block(block: dict[str, Any], protocol: str) -> list[str]:
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return [block["text"]]
    if kind in ("image", "image_url"):
        return ["[image]"]
    if kind == "document":
        return ["[document]"]
    if kind == "tool_use":
        return [_call(block.get("name"), block.get("input"))]
    if kind == "tool_result":
        inner = _content(block.get("content"), protocol)
        return ["[tool result] " + "\n".join(inner)]
    return []


def _call(name: Any, arguments: Any) -> str:
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    return f"[called tool {name} with {arguments}]"
