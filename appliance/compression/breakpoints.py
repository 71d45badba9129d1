"""Anthropic prompt-cache breakpoints on the long, stable start of a request.

Up to three places get `cache_control: {"type": "ephemeral"}`: the end of
the system prompt (which caches the tools too), the end of the latest
message of a conversation (the next turn reads it back) and the end of the
tools. The caller's own breakpoints count towards Anthropic's limit of four
and are never moved or dropped; a breakpoint whose prefix is shorter than
the model's minimum cacheable length is not placed. Prefixes are counted
with cl100k, which counts Claude text low, so a placed one is long enough.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.tokens import TokenCounter

MAX_BREAKPOINTS = 4
EPHEMERAL = MappingProxyType({"type": "ephemeral"})
MINIMUM_TOKENS = (
    ("claude-opus-4-6", 4096),
    ("claude-opus-4-5", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-sonnet-4-6", 2048),
    ("haiku", 2048),
)
DEFAULT_MINIMUM = 1024
CACHEABLE_BLOCKS = frozenset({"text", "image", "document", "tool_use", "tool_result"})
MIN_CONVERSATION_MESSAGES = 3


def minimum_tokens(model: str) -> int:
    """The shortest prefix the model caches: 1024 for most Sonnet and Opus."""
    name = model.lower()
    for marker, tokens in MINIMUM_TOKENS:
        if marker in name:
            return tokens
    return DEFAULT_MINIMUM


def caller_breakpoints(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `cache_control` the caller set, in prompt order."""
    found: list[dict[str, Any]] = []
    _collect(body.get("tools"), found)
    _collect(body.get("system"), found)
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            _collect(message.get("content"), found)
    return found


def _collect(value: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, dict):
        if isinstance(value.get("cache_control"), dict):
            found.append(value["cache_control"])
        _collect(value.get("content"), found)


def _marked(value: Any) -> bool:
    found: list[dict[str, Any]] = []
    _collect(value, found)
    return bool(found)


def _with_mark(block: dict[str, Any]) -> dict[str, Any]:
    return {**block, "cache_control": dict(EPHEMERAL)}


def _mark_tools(tools: list[Any]) -> list[Any]:
    return [*tools[:-1], _with_mark(tools[-1])]


def _mark_content(content: Any) -> Any:
    """Content with its last cacheable block marked; None when it has none."""
    if isinstance(content, str):
        return [_with_mark({"type": "text", "text": content})] if content else None
    if not isinstance(content, list):
        return None
    for index in range(len(content) - 1, -1, -1):
        block = content[index]
        if not isinstance(block, dict) or block.get("type") not in CACHEABLE_BLOCKS:
            continue
        if block.get("type") == "text" and not block.get("text"):
            continue
        return [*content[:index], _with_mark(block), *content[index + 1 :]]
    return None


class _Prefix:
    """Token lengths of the request's prefixes: tools, + system, + messages."""

    def __init__(self, body: dict[str, Any], counter: TokenCounter, model: str) -> None:
        def tokens(key: str) -> int:
            if not body.get(key):
                return 0
            return counter.count_request("anthropic", {"model": model, key: body[key]})

        self.tools = tokens("tools")
        self.system = self.tools + tokens("system")
        self.messages = self.system + tokens("messages")


def _candidates(body: dict[str, Any], prefix: _Prefix, minimum: int) -> list[str]:
    """Places worth a breakpoint, the most valuable first."""
    places = []
    system = body.get("system")
    if system and not _marked(system) and prefix.system >= minimum:
        places.append("system")
    messages = body.get("messages")
    if (
        isinstance(messages, list)
        and len(messages) >= MIN_CONVERSATION_MESSAGES
        and isinstance(messages[-1], dict)
        and not _marked(messages[-1].get("content"))
        and prefix.messages >= minimum
    ):
        places.append("conversation")
    tools = body.get("tools")
    if (
        isinstance(tools, list)
        and tools
        and isinstance(tools[-1], dict)
        and not _marked(tools)
        and prefix.tools >= minimum
    ):
        places.append("tools")
    return places


def _place(body: dict[str, Any], place: str) -> dict[str, Any] | None:
    if place == "tools":
        return {**body, "tools": _mark_tools(body["tools"])}
    if place == "system":
        system = _mark_content(body["system"])
        return None if system is None else {**body, "system": system}
    last = body["messages"][-1]
    content = _mark_content(last.get("content"))
    if content is None:
        return None
    return {**body, "messages": [*body["messages"][:-1], {**last, "content": content}]}


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Add cache breakpoints to an Anthropic request; OpenAI caches by itself."""
    before = counter.count_request(protocol, body)
    if protocol != "anthropic":
        return StepResult.unchanged(body, before)
    existing = caller_breakpoints(body)
    if any(mark.get("ttl") not in (None, "5m") for mark in existing):
        return StepResult.unchanged(body, before, reason="caller_uses_longer_ttl")
    budget = MAX_BREAKPOINTS - len(existing)
    prefix = _Prefix(body, counter, model)
    placed: list[str] = []
    new = body
    for place in _candidates(body, prefix, minimum_tokens(model))[: max(budget, 0)]:
        marked = _place(new, place)
        if marked is not None:
            new = marked
            placed.append(place)
    if not placed:
        return StepResult.unchanged(body, before)
    detail = {
        "breakpoints_added": placed,
        "breakpoints_total": len(existing) + len(placed),
    }
    return StepResult(new, True, before, before, detail)
