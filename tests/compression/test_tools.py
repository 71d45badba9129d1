"""Tool-schema compaction: fewer tokens, the same arguments accepted."""

from __future__ import annotations

import copy

from appliance.compression import tools

PYDANTIC_STYLE = {
    "type": "object",
    "title": "SearchOrders",
    "description": "Search the order database.",
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "properties": {
        "customer_id": {
            "type": "string",
            "title": "Customer Id",
            "description": "Customer ID",
        },
        "status": {
            "title": "Status",
            "description": "Only orders in this state.",
            "enum": ["open", "shipped", "title"],
        },
        "since": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "title": "Since",
            "default": None,
            "description": "",
        },
        "page": {"allOf": [{"$ref": "#/$defs/Page"}], "description": "Paging."},
        "title": {
            "type": ["string"],
            "title": "Title",
            "description": "Words in the order title.",
        },
    },
    "required": ["customer_id", "customer_id"],
    "additionalProperties": True,
    "$defs": {
        "Page": {
            "type": "object",
            "title": "Page",
            "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 100}},
            "required": [],
        }
    },
}
COMPACTED = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string"},
        "status": {
            "description": "Only orders in this state.",
            "enum": ["open", "shipped", "title"],
        },
        "since": {"type": ["string", "null"], "default": None},
        "page": {"description": "Paging.", "$ref": "#/$defs/Page"},
        "title": {"type": "string", "description": "Words in the order title."},
    },
    "required": ["customer_id"],
    "$defs": {
        "Page": {
            "type": "object",
            "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 100}},
        }
    },
}
STRICT = {
    "type": "object",
    "title": "Refund",
    "properties": {
        "order_id": {"type": "string", "title": "Order Id", "description": "order_id"},
        "amount": {
            "type": "number",
            "title": "Amount",
            "description": "Amount in EUR, e.g. 41.50.",
        },
        "reason": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Reason"},
        "lines": {
            "type": "array",
            "title": "Lines",
            "items": {
                "type": "object",
                "title": "Line",
                "properties": {"sku": {"type": "string", "title": "Sku"}},
                "required": ["sku"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["order_id", "amount", "reason", "lines"],
    "additionalProperties": False,
}


def _openai(schema, strict=False):
    function = {"name": "search_orders", "description": "Search the order database."}
    function["parameters"] = schema
    if strict:
        function["strict"] = True
    return {
        "model": "gpt-4-turbo",
        "messages": [],
        "tools": [{"type": "function", "function": function}],
    }


def test_pydantic_style_schema_is_compacted_with_exact_counts(counter, options):
    result = tools.apply(
        _openai(PYDANTIC_STYLE), "openai", counter, "gpt-4-turbo", options
    )
    assert result.body["tools"][0]["function"]["parameters"] == COMPACTED
    assert (
        result.body["tools"][0]["function"]["description"]
        == "Search the order database."
    )
    assert (result.tokens_before, result.tokens_after) == (215, 134)
    assert result.detail == {"tools_compacted": 1}


def _objects(schema):
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _objects(item)


def test_strict_schema_keeps_what_strict_mode_requires(counter, options):
    result = tools.apply(
        _openai(STRICT, strict=True), "openai", counter, "gpt-4-turbo", options
    )
    compacted = result.body["tools"][0]["function"]["parameters"]
    assert result.body["tools"][0]["function"]["strict"] is True
    before, after = list(_objects(STRICT)), list(_objects(compacted))
    assert len(before) == len(after) == 2
    for old, new in zip(before, after, strict=True):
        assert new["additionalProperties"] is False
        assert new["required"] == old["required"] == list(new["properties"])
    assert (
        compacted["properties"]["amount"]["description"] == "Amount in EUR, e.g. 41.50."
    )
    assert compacted["properties"]["reason"] == {"type": ["string", "null"]}
    assert "description" not in compacted["properties"]["order_id"]
    assert (result.tokens_before, result.tokens_after) == (161, 120)


def test_anthropic_input_schema_is_compacted_and_other_fields_kept(counter, options):
    tool = {
        "name": "search_orders",
        "description": "Search the order database.",
        "input_schema": PYDANTIC_STYLE,
        "cache_control": {"type": "ephemeral"},
    }
    body = {
        "model": "claude-sonnet-4-5",
        "messages": [],
        "tools": [tool, {"type": "web_search_20250305", "name": "web_search"}],
    }
    result = tools.apply(body, "anthropic", counter, "claude-sonnet-4-5", options)
    assert result.body["tools"][0] == {**tool, "input_schema": COMPACTED}
    assert result.body["tools"][1] is body["tools"][1]


def test_schema_already_compact_is_left_alone(counter, options):
    body = _openai(COMPACTED)
    result = tools.apply(body, "openai", counter, "gpt-4-turbo", options)
    assert not result.changed
    assert result.body is body


def test_input_body_is_never_mutated(counter, options):
    body = _openai(PYDANTIC_STYLE)
    snapshot = copy.deepcopy(body)
    tools.apply(body, "openai", counter, "gpt-4-turbo", options)
    assert body == snapshot


def test_wrapper_with_its_own_validation_is_not_inlined():
    schema = {
        "additionalProperties": False,
        "allOf": [{"properties": {"a": {"type": "string"}}}],
    }
    assert tools.compact_schema(schema, strict=False) == schema
