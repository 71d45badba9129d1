"""What a request uses that the model answering it must support.

Read from the body alone: images and other non-text parts, tools, structured
output, reasoning settings, the output budget and the top-level parameters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.routing.prompt import Prompt

FUNCTION_TOOLS = frozenset({"function", "custom"})
OUTPUT_BUDGETS = ("max_completion_tokens", "max_tokens", "max_output_tokens")


@dataclass(frozen=True)
class Needs:
    images: int
    other_parts: tuple[str, ...]
    function_tools: int
    builtin_tools: tuple[str, ...]
    structured_output: bool
    schema_fields: int
    json_mode: bool
    reasoning_effort: str | None
    thinking: bool
    max_output: int | None
    params: frozenset[str]
    text_bytes: int
    messages: int


def needs_of(body: dict[str, Any], prompt: Prompt) -> Needs:
    """Everything in `body` that limits which models can answer it."""
    tools = [t for t in body.get("tools") or () if isinstance(t, dict)]
    builtin = tuple(str(t["type"]) for t in tools if _builtin(t))
    functions = len(tools) - len(builtin) + len(body.get("functions") or ())
    return Needs(
        images=prompt.images,
        other_parts=prompt.other_parts,
        function_tools=functions,
        builtin_tools=builtin,
        structured_output=_structured(body, tools),
        schema_fields=_fields(_output_schema(body)),
        json_mode=_format_type(body) == "json_object",
        reasoning_effort=_effort(body),
        thinking=_thinking(body),
        max_output=_max_output(body),
        params=frozenset(body),
        text_bytes=len(prompt.text.encode("utf-8")) + len(_tool_text(tools)),
        messages=len(prompt.turns) + 1,
    )


def _builtin(tool: dict[str, Any]) -> bool:
    """A provider-run tool (web search, computer use, code interpreter...)."""
    kind = tool.get("type")
    return isinstance(kind, str) and kind not in FUNCTION_TOOLS


def _format_type(body: dict[str, Any]) -> str | None:
    for key in ("response_format", "output_format"):
        value = body.get(key)
        if isinstance(value, dict) and isinstance(value.get("type"), str):
            return value["type"]
    return None


def _structured(body: dict[str, Any], tools: list[dict[str, Any]]) -> bool:
    if _format_type(body) == "json_schema":
        return True
    functions = [t.get("function", t) for t in tools]
    return any(isinstance(f, dict) and f.get("strict") is True for f in functions)


def _output_schema(body: dict[str, Any]) -> Any:
    """The JSON schema the answer must follow, in either protocol."""
    fmt = body.get("response_format") or body.get("output_format")
    if not isinstance(fmt, dict):
        return None
    wrapped = fmt.get("json_schema")
    return wrapped.get("schema") if isinstance(wrapped, dict) else fmt.get("schema")


def _fields(schema: Any) -> int:
    """How many properties the schema names, nested ones included."""
    if isinstance(schema, list):
        return sum(_fields(item) for item in schema)
    if not isinstance(schema, dict):
        return 0
    properties = schema.get("properties")
    own = len(properties) if isinstance(properties, dict) else 0
    return own + sum(_fields(value) for value in schema.values())


def _effort(body: dict[str, Any]) -> str | None:
    effort = body.get("reasoning_effort")
    reasoning = body.get("reasoning")
    if effort is None and isinstance(reasoning, dict):
        effort = reasoning.get("effort")
    return str(effort) if effort is not None else None


def _thinking(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled")


def _max_output(body: dict[str, Any]) -> int | None:
    for key in OUTPUT_BUDGETS:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _tool_text(tools: list[dict[str, Any]]) -> bytes:
    return json.dumps(tools, ensure_ascii=False).encode("utf-8") if tools else b""
