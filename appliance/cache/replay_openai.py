"""OpenAI chat completions: a complete body as stream chunks, and back.

Each choice is replayed as a role chunk, a chunk of any other message fields
(reasoning, annotations, audio), its content, refusal and tool calls, and a
finish chunk; a usage chunk follows when the caller asked for one.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.providers.sse import SseEvent
from appliance.providers.usage import Usage

CHUNK_FIELDS = ("id", "created", "model", "system_fingerprint", "service_tier")
STREAMED_FIELDS = frozenset({"role", "content", "refusal", "tool_calls"})
SET_FIELDS = frozenset({"role", "id", "type", "index"})


def chunks_of(body: dict[str, Any], include_usage: bool) -> list[bytes]:
    """The SSE events of a stream that delivers `body`, ending in [DONE]."""
    base = {name: body[name] for name in CHUNK_FIELDS if name in body}
    base["object"] = "chat.completion.chunk"
    if include_usage:
        base["usage"] = None
    chunks = []
    for choice in body.get("choices") or []:
        chunks += [{**base, "choices": [c]} for c in _choice_chunks(choice)]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": body.get("usage")})
    events = [_event(chunk) for chunk in chunks]
    return [*events, b"data: [DONE]\n\n"]


def _choice_chunks(choice: dict[str, Any]) -> list[dict[str, Any]]:
    index = choice.get("index", 0)
    message = choice.get("message") or {}
    content = message.get("content")

    def part(delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"index": index, "delta": delta, "finish_reason": None, **extra}

    first = {
        "role": message.get("role", "assistant"),
        "content": "" if isinstance(content, str) else None,
        "refusal": None,
    }
    parts = [part(first)]
    extras = {k: v for k, v in message.items() if k not in STREAMED_FIELDS}
    if extras:
        parts.append(part(extras))
    if isinstance(content, str) and content:
        parts.append(part({"content": content}, logprobs=choice.get("logprobs")))
    if message.get("refusal"):
        parts.append(part({"refusal": message["refusal"]}))
    for position, call in enumerate(message.get("tool_calls") or []):
        parts.append(part({"tool_calls": [{"index": position, **call}]}))
    parts.append(
        {
            "index": index,
            "delta": {},
            "logprobs": None,
            "finish_reason": choice.get("finish_reason"),
        }
    )
    return parts


def _event(chunk: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()


def body_of(events: list[SseEvent], usage: Usage | None) -> dict[str, Any] | None:
    """The complete body a stream delivered, or None when it did not finish.

    `usage` stands in for a usage chunk the caller did not ask for (the relay
    keeps no dropped events).
    """
    top: dict[str, Any] = {}
    choices: dict[int, dict[str, Any]] = {}
    usage_seen: dict[str, Any] | None = None
    done = False
    for event in events:
        if event.data == "[DONE]":
            done = True
            continue
        chunk = _parse(event.data)
        if chunk is None:
            continue
        if "error" in chunk:
            return None
        for name in CHUNK_FIELDS:
            if chunk.get(name) is not None:
                top[name] = chunk[name]
        if isinstance(chunk.get("usage"), dict):
            usage_seen = chunk["usage"]
        for delta in chunk.get("choices") or []:
            _merge_choice(choices, delta)
    finished = choices and all(c["finish_reason"] for c in choices.values())
    if not (done and finished):
        return None
    return {
        "id": top.get("id"),
        "object": "chat.completion",
        "created": top.get("created"),
        "model": top.get("model"),
        "choices": [_finish(i, choices[i]) for i in sorted(choices)],
        "usage": usage_seen or usage_body(usage or Usage()),
        **{k: top[k] for k in ("system_fingerprint", "service_tier") if k in top},
    }


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _parse(data: str) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError:
        return None
    return chunk if isinstance(chunk, dict) else None


def _merge_choice(choices: dict[int, dict[str, Any]], part: dict[str, Any]) -> None:
    index = part.get("index", 0)
    state = choices.setdefault(
        index,
        {"message": {}, "tools": {}, "logprobs": None, "finish_reason": None},
    )
    for name, value in (part.get("delta") or {}).items():
        if name == "tool_calls":
            for call in value or []:
                slot = state["tools"].setdefault(call.get("index", 0), {})
                _merge(slot, {k: v for k, v in call.items() if k != "index"})
        else:
            _merge(state["message"], {name: value})
    if part.get("logprobs") is not None:
        state["logprobs"] = state["logprobs"] or {}
        _merge(state["logprobs"], part["logprobs"])
    if part.get("finish_reason"):
        state["finish_reason"] = part["finish_reason"]


def _merge(into: dict[str, Any], delta: dict[str, Any]) -> None:
    """Stream deltas: strings concatenate, lists extend, objects merge."""
    for name, value in delta.items():
        old = into.get(name)
        if value is None:
            into.setdefault(name, None)
        elif name in SET_FIELDS or old is None:
            into[name] = _copy(value)
        elif isinstance(value, str) and isinstance(old, str):
            into[name] = old + value
        elif isinstance(value, list) and isinstance(old, list):
            old.extend(value)
        elif isinstance(value, dict) and isinstance(old, dict):
            _merge(old, value)
        else:
            into[name] = _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _finish(index: int, state: dict[str, Any]) -> dict[str, Any]:
    streamed = state["message"]
    tools = [state["tools"][i] for i in sorted(state["tools"])]
    content = streamed.get("content")
    if not content and (tools or streamed.get("refusal")):
        content = None
    message = {
        "role": streamed.get("role", "assistant"),
        "content": content,
        "refusal": streamed.get("refusal"),
        **{k: v for k, v in streamed.items() if k not in STREAMED_FIELDS},
    }
    if tools:
        message["tool_calls"] = tools
    return {
        "index": index,
        "message": message,
        "logprobs": state["logprobs"],
        "finish_reason": state["finish_reason"],
    }
