"""Cache keys: one hash of the canonical request, and the semantic scope.

A key covers everything that can change the answer and nothing that cannot:
JSON key order, whitespace and `1` versus `1.0` give the same key; `stream`,
`stream_options`, `user` and `metadata` are left out. Every key is scoped to
the workspace, so one workspace never reads another's entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

IGNORED_FIELDS = frozenset({"stream", "stream_options", "user", "metadata"})
ANSWER_HEADERS = ("anthropic-beta", "anthropic-version")
IMAGE_PARTS = frozenset({"image_url", "image", "input_image", "document", "file"})
TOOL_RESULT_PARTS = frozenset({"tool_result", "function_call_output"})
TOOL_ROLES = frozenset({"tool", "function"})


@dataclass(frozen=True)
class RequestIdentity:
    """What a cache key is made of: who asked, which endpoint, and the body."""

    workspace_id: str
    protocol: str
    path: str
    model: str | None
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SemanticQuery:
    """A request's semantic scope (all but the last user turn) and that turn."""

    scope: str
    text: str


def canonical(value: Any) -> Any:
    """The value with integral floats as ints, so `1.0` and `1` agree."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {name: canonical(item) for name, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def digest(parts: Any) -> str:
    """A hex SHA-256 of `parts` as sorted, compact JSON."""
    text = json.dumps(
        parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    # surrogatepass: a lone surrogate is valid JSON and must not fail the request.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _answer_fields(identity: RequestIdentity) -> dict[str, Any]:
    fields = {
        name: value
        for name, value in identity.body.items()
        if name not in IGNORED_FIELDS
    }
    fields["model"] = identity.model
    return canonical(fields)


def _answer_headers(identity: RequestIdentity) -> dict[str, str]:
    return {
        name: identity.headers[name]
        for name in ANSWER_HEADERS
        if name in identity.headers
    }


def exact_key(identity: RequestIdentity) -> str:
    """The exact-cache key of a chat request."""
    return digest(
        [
            "exact",
            identity.workspace_id,
            identity.protocol,
            identity.path,
            _answer_headers(identity),
            _answer_fields(identity),
        ]
    )


def embedding_key(identity: RequestIdentity, item: Any) -> str:
    """The key of one input of an embeddings request, in the request's settings."""
    settings = {
        name: value
        for name, value in identity.body.items()
        if name not in IGNORED_FIELDS and name != "input"
    }
    settings["model"] = identity.model
    return digest(
        ["embedding", identity.workspace_id, identity.path, canonical(settings), item]
    )


def semantic_query(identity: RequestIdentity) -> SemanticQuery | None:
    """Scope and text for a semantic lookup, or None when the request may not
    be served semantically: no last user turn of plain text, an image or a
    tool result anywhere, or more than one choice asked for."""
    messages = identity.body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    n = identity.body.get("n", 1)
    if not isinstance(n, int) or n > 1:
        return None
    if any(_has_image_or_tool_result(message) for message in messages):
        return None
    last = messages[-1]
    text = _plain_text(last.get("content")) if last.get("role") == "user" else None
    if not text or not text.strip():
        return None
    fields = _answer_fields(identity)
    fields["messages"] = canonical(messages[:-1])
    scope = digest(
        [
            "semantic",
            identity.workspace_id,
            identity.protocol,
            identity.path,
            _answer_headers(identity),
            fields,
        ]
    )
    return SemanticQuery(scope=scope, text=text)


def _has_image_or_tool_result(message: Any) -> bool:
    if not isinstance(message, dict):
        return True
    if message.get("role") in TOOL_ROLES:
        return True
    content = message.get("content")
    if not isinstance(content, list):
        return False
    return any(
        not isinstance(part, dict)
        or part.get("type") in IMAGE_PARTS
        or part.get("type") in TOOL_RESULT_PARTS
        for part in content
    )


def _plain_text(content: Any) -> str | None:
    """The text of a turn made only of text, else None."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return None
    texts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type") != "text":
            return None
        texts.append(str(part.get("text", "")))
    return "\n".join(texts)
