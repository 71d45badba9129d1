"""Tool-schema compaction: the same schemas, accepting the same arguments.

Removed: titles, `$comment` and `$schema` (never used in validation), empty
descriptions and ones that only repeat a property's name or the enclosing
description, single-branch `allOf`/`anyOf`/`oneOf` wrappers around a schema,
and one-type lists. Descriptions that stay are kept byte for byte. Strict
schemas keep `additionalProperties: false` and every `required` name.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.tokens import TokenCounter

DROPPED = ("title", "$comment", "$schema")
SCHEMA_MAPS = (
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
)
SCHEMA_VALUES = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems", "items")
COMBINATORS = ("allOf", "anyOf", "oneOf")
ANNOTATIONS = frozenset({"description", "title", "$comment", "default", "examples"})
NAME_NOISE = re.compile(r"[\s_\-.]+")


def compact_schema(
    schema: Any, strict: bool, parent_description: str | None = None
) -> Any:
    """A schema accepting exactly what `schema` accepts, in fewer tokens."""
    if not isinstance(schema, dict):
        return schema
    result = {key: value for key, value in schema.items() if key not in DROPPED}
    _drop_empty_description(result, parent_description)
    description = result.get("description", parent_description)
    for key in SCHEMA_MAPS:
        if isinstance(result.get(key), dict):
            result[key] = _compact_map(result[key], strict, key == "properties")
    for key in SCHEMA_VALUES:
        if isinstance(result.get(key), dict):
            result[key] = compact_schema(result[key], strict, description)
    for key in SCHEMA_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [compact_schema(item, strict) for item in result[key]]
    if isinstance(result.get("required"), list):
        result["required"] = list(dict.fromkeys(result["required"]))
    result = _single_type(_types_of_branches(_inline_single_branch(result, strict)))
    return result if strict else _drop_defaults(result)


def _compact_map(schemas: dict[str, Any], strict: bool, named: bool) -> dict[str, Any]:
    compacted = {}
    for name, schema in schemas.items():
        sub = compact_schema(schema, strict)
        if (
            named
            and isinstance(sub, dict)
            and _only_names(sub.get("description"), name)
        ):
            sub = {key: value for key, value in sub.items() if key != "description"}
        compacted[name] = sub
    return compacted


def _drop_empty_description(schema: dict[str, Any], parent: str | None) -> None:
    description = schema.get("description")
    if isinstance(description, str) and (
        not description.strip() or description == parent
    ):
        del schema["description"]


def _only_names(description: object, name: str) -> bool:
    """True when a description says nothing but the property's own name."""
    if not isinstance(description, str):
        return False
    words = NAME_NOISE.sub(" ", description).strip().lower().removeprefix("the ")
    return words == NAME_NOISE.sub(" ", name).strip().lower()


def _inline_single_branch(schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    """`{description, allOf: [X]}` is X with that description."""
    for key in COMBINATORS:
        branches = schema.get(key)
        if not isinstance(branches, list) or len(branches) != 1:
            continue
        branch = branches[0]
        rest = {k: v for k, v in schema.items() if k != key}
        if not isinstance(branch, dict) or not set(rest) <= ANNOTATIONS:
            continue
        if set(rest) & set(branch) or (strict and "$ref" in branch):
            continue
        return {**rest, **branch}
    return schema


def _types_of_branches(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [{type: a}, {type: b}]` is `type: [a, b]`."""
    branches = schema.get("anyOf")
    if "type" in schema or not isinstance(branches, list) or len(branches) < 2:
        return schema
    types = [b.get("type") for b in branches if isinstance(b, dict) and len(b) == 1]
    if len(types) != len(branches) or not all(isinstance(t, str) for t in types):
        return schema
    if len(set(types)) != len(types):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {"type": types, **rest}


def _single_type(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, list) and len(kind) == 1 and isinstance(kind[0], str):
        return {**schema, "type": kind[0]}
    return schema


def _drop_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    """Keywords at their default value, which strict mode would insist on."""
    result = dict(schema)
    if result.get("additionalProperties") is True:
        del result["additionalProperties"]
    if result.get("required") == []:
        del result["required"]
    return result


def compact_tool(tool: dict[str, Any], protocol: str) -> dict[str, Any]:
    """One tool definition with its schema compacted; other fields kept."""
    if protocol == "anthropic":
        return _compact_field(tool, "input_schema", tool)
    function = tool.get("function")
    if tool.get("type") == "function" and isinstance(function, dict):
        compacted = _compact_field(function, "parameters", function)
        return tool if compacted is function else {**tool, "function": compacted}
    return _compact_field(tool, "parameters", tool)


def _compact_field(
    owner: dict[str, Any], key: str, tool: dict[str, Any]
) -> dict[str, Any]:
    schema = owner.get(key)
    if not isinstance(schema, dict):
        return owner
    description = tool.get("description")
    parent = description if isinstance(description, str) else None
    compacted = compact_schema(schema, tool.get("strict") is True, parent)
    return owner if compacted == schema else {**owner, key: compacted}


def apply(
    body: dict[str, Any],
    protocol: str,
    counter: TokenCounter,
    model: str,
    options: CompressionOptions,
) -> StepResult:
    """Compact every tool (and legacy function) schema of the request."""
    before = counter.count_request(protocol, body)
    new = dict(body)
    compacted = 0
    for key in ("tools", "functions"):
        tools = body.get(key)
        if not isinstance(tools, list):
            continue
        new_tools = [
            compact_tool(t, protocol) if isinstance(t, dict) else t for t in tools
        ]
        compacted += sum(a is not b for a, b in zip(new_tools, tools, strict=True))
        new[key] = new_tools
    if not compacted:
        return StepResult.unchanged(body, before)
    after = counter.count_request(protocol, new)
    return StepResult(new, True, before, after, {"tools_compacted": compacted})
