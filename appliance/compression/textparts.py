"""Visits every prose text of a request body and rebuilds the body around edits.

Tool call arguments and tool inputs are never visited. Only the dicts and
lists on the path to an edited text are copied; the input is not mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SYSTEM_INDEX = -1


@dataclass(frozen=True)
class TextPart:
    """One text: who wrote it, which message (-1: Anthropic's system), the text."""

    role: str
    message: int
    text: str


Edit = Callable[[TextPart], str]


def edit_texts(body: dict[str, Any], protocol: str, edit: Edit) -> dict[str, Any]:
    """`body` with each text replaced by `edit(part)`; `body` itself if none changed.

    Texts are visited in prompt order: system first, then the messages.
    """
    new = dict(body)
    changed = False
    if protocol == "anthropic" and "system" in body:
        system = _content(body["system"], "system", SYSTEM_INDEX, edit)
        if system is not body["system"]:
            new["system"] = system
            changed = True
    messages = body.get("messages")
    if isinstance(messages, list):
        edited = _messages(messages, edit)
        if edited is not messages:
            new["messages"] = edited
            changed = True
    return new if changed else body


def _messages(messages: list[Any], edit: Edit) -> list[Any]:
    result = list(messages)
    changed = False
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "content" not in message:
            continue
        role = message.get("role")
        role = role if isinstance(role, str) else ""
        content = _content(message["content"], role, index, edit)
        if content is not message["content"]:
            result[index] = {**message, "content": content}
            changed = True
    return result if changed else messages


def _content(content: Any, role: str, index: int, edit: Edit) -> Any:
    if isinstance(content, str):
        text = edit(TextPart(role, index, content))
        return content if text == content else text
    if not isinstance(content, list):
        return content
    result = list(content)
    changed = False
    for position, block in enumerate(content):
        new_block = _block(block, role, index, edit)
        if new_block is not block:
            result[position] = new_block
            changed = True
    return result if changed else content


def _block(block: Any, role: str, index: int, edit: Edit) -> Any:
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        text = edit(TextPart(role, index, block["text"]))
        return block if text == block["text"] else {**block, "text": text}
    if kind == "tool_result" and "content" in block:
        content = _content(block["content"], "tool", index, edit)
        return block if content is block["content"] else {**block, "content": content}
    return block
