"""Never route when the cheaper model lacks what the request uses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from appliance.routing.capabilities import Catalog
from appliance.routing.classifier import DifficultyClassifier
from appliance.routing.examples import Example, ExampleBank
from appliance.routing.router import Router
from appliance.routing.table import RouteTable
from appliance.tokens import TokenCounter
from tests.routing.conftest import chat, messages

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}
CLAUDE_IMAGE = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
}
SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "x", "schema": {"type": "object", "properties": {}}},
}
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


def routed_to(router: Router, body: dict[str, Any], **overrides: str) -> str | None:
    provider = "anthropic" if body["model"].startswith("claude") else "openai"
    candidate = router.candidate(provider, body, overrides)
    return candidate.route.target.name if candidate else None


def words(count: int) -> str:
    """English text of about `count` tokens and five bytes a token."""
    return "word " * count


@pytest.fixture(scope="module")
def plain_router(counter: TokenCounter) -> Router:
    """A router to a cheap model that lacks tools, JSON mode and strict schemas."""
    catalog = Catalog.from_mapping(
        {
            "openai": {
                "big": {"context_window": 1000, "max_output": 500, "json_mode": True},
                "small": {"context_window": 1000, "max_output": 500, "tools": False},
            }
        }
    )
    table = RouteTable.from_mapping(catalog, {"openai": {"big": "small"}})
    bank = ExampleBank([Example("x", "easy")], np.ones((1, 384)) / np.sqrt(384))
    return Router(table, DifficultyClassifier(bank), counter)


def test_plain_request_is_a_candidate(router: Router):
    assert routed_to(router, chat("gpt-4o")) == "gpt-4o-mini"
    assert routed_to(router, messages("claude-sonnet-4-5")) == "claude-haiku-4-5"


def test_prompt_that_fills_the_cheaper_context_window_stays(router: Router):
    assert routed_to(router, chat("gpt-4o", words(130_000))) is None


def test_prompt_over_the_byte_bound_but_within_tokens_is_counted_and_routed(
    router: Router,
):
    body = chat("gpt-4o", words(40_000))
    assert len(body["messages"][0]["content"].encode()) > 128_000
    assert routed_to(router, body) == "gpt-4o-mini"


def test_prompt_plus_max_tokens_over_the_window_stays(router: Router):
    assert routed_to(router, chat("gpt-4o", words(95_000))) == "gpt-4o-mini"
    long_answer = chat("gpt-4o", words(95_000), max_tokens=16_000)
    assert routed_to(router, long_answer) is None


def test_output_budget_above_the_cheaper_models_maximum_stays(router: Router):
    asked = "claude-3-5-sonnet-20241022"
    assert (
        routed_to(router, messages(asked, max_tokens=8192)) == "claude-3-5-haiku-latest"
    )
    assert routed_to(router, messages(asked, max_tokens=8193)) is None


def test_images_stay_when_the_cheaper_model_has_no_vision(router: Router):
    content = [{"type": "text", "text": "What is in this picture?"}, CLAUDE_IMAGE]
    body = messages(
        "claude-3-5-sonnet-latest", messages=[{"role": "user", "content": content}]
    )
    assert routed_to(router, body) is None


def test_images_route_when_the_cheaper_model_has_vision(router: Router):
    content = [{"type": "text", "text": "What is in this picture?"}, IMAGE]
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": content}]}
    assert routed_to(router, body) == "gpt-4.1-mini"


def test_images_stay_where_the_cheaper_model_bills_them_higher(router: Router):
    content = [{"type": "text", "text": "What is in this picture?"}, IMAGE]
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
    assert routed_to(router, body) is None
    assert (
        routed_to(router, chat("gpt-4o", "What is in this picture?")) == "gpt-4o-mini"
    )


@pytest.mark.parametrize(
    "part",
    [
        {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-abc"}},
    ],
)
def test_input_parts_other_than_text_and_images_stay(router: Router, part: dict):
    content = [{"type": "text", "text": "Summarize this."}, part]
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": content}]}
    assert routed_to(router, body) is None


def test_function_tools_stay_when_the_cheaper_model_has_no_tools(plain_router: Router):
    assert routed_to(plain_router, chat("big")) == "small"
    assert routed_to(plain_router, chat("big", tools=[TOOL])) is None


def test_provider_run_tools_stay(router: Router):
    assert routed_to(router, chat("gpt-4o", tools=[TOOL])) == "gpt-4o-mini"
    search = {"type": "web_search_20250305", "name": "web_search"}
    assert routed_to(router, messages("claude-sonnet-4-5", tools=[search])) is None


def test_json_schema_stays_when_the_cheaper_model_lacks_structured_outputs(
    router: Router, plain_router: Router
):
    assert routed_to(router, chat("gpt-4o", response_format=SCHEMA)) == "gpt-4o-mini"
    assert routed_to(plain_router, chat("big", response_format=SCHEMA)) is None
    output = {"type": "json_schema", "schema": {"type": "object"}}
    body = messages("claude-3-5-sonnet-latest", output_format=output)
    assert routed_to(router, body) is None


def test_strict_tools_count_as_structured_outputs(plain_router: Router):
    strict = {"type": "function", "function": {**TOOL["function"], "strict": True}}
    overrides = {"big": "small"}
    assert routed_to(plain_router, chat("big", tools=[strict]), **overrides) is None


def test_json_mode_stays_when_the_cheaper_model_lacks_it(plain_router: Router):
    body = chat("big", response_format={"type": "json_object"})
    assert routed_to(plain_router, body) is None


def test_reasoning_effort_stays_when_the_cheaper_model_has_no_reasoning(
    router: Router,
):
    assert routed_to(router, chat("gpt-4o", reasoning_effort="low")) is None


def test_reasoning_effort_the_cheaper_model_does_not_accept_stays(router: Router):
    assert routed_to(router, chat("gpt-5.1", reasoning_effort="low")) == "gpt-5-mini"
    assert routed_to(router, chat("gpt-5.1", reasoning_effort="none")) is None


def test_extended_thinking_stays_when_the_cheaper_model_cannot_think(router: Router):
    thinking = {"type": "enabled", "budget_tokens": 2048}
    body = messages("claude-3-7-sonnet-latest", max_tokens=4096, thinking=thinking)
    assert routed_to(router, body) == "claude-haiku-4-5"
    to_old_haiku = {"claude-3-7-sonnet-latest": "claude-3-5-haiku-latest"}
    assert routed_to(router, body, **to_old_haiku) is None
    off = {**body, "thinking": {"type": "disabled"}}
    assert routed_to(router, off, **to_old_haiku) == "claude-3-5-haiku-latest"


def test_parameter_the_cheaper_model_refuses_stays(router: Router):
    to_gpt5 = {"gpt-4o": "gpt-5-mini"}
    assert routed_to(router, chat("gpt-4o"), **to_gpt5) == "gpt-5-mini"
    assert routed_to(router, chat("gpt-4o", temperature=0.2), **to_gpt5) is None


def test_turn_after_a_tool_result_is_judged_by_the_last_user_message(router: Router):
    call = {"id": "c1", "type": "function", "function": {"name": "lookup"}}
    turns = [
        {"role": "user", "content": "Look up order 5."},
        {"role": "assistant", "tool_calls": [{**call, "arguments": "{}"}]},
        {"role": "tool", "tool_call_id": "c1", "content": '{"status": "sent"}'},
    ]
    body = {"model": "gpt-4o", "messages": turns, "tools": [TOOL]}
    candidate = router.candidate("openai", body, {})
    assert candidate is not None
    assert candidate.text == "Look up order 5."


def test_anthropic_tool_results_are_not_the_instruction(router: Router):
    result = {"type": "tool_result", "tool_use_id": "t1", "content": "sent"}
    use = {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"id": 5}}
    turns = [
        {"role": "user", "content": "Where is order 5?"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]
    body = messages("claude-sonnet-4-5", messages=turns, tools=[{"name": "lookup"}])
    candidate = router.candidate("anthropic", body, {})
    assert candidate is not None
    assert candidate.text == "Where is order 5?"


def test_request_without_instruction_text_stays(router: Router):
    image_only = [{"role": "user", "content": [IMAGE]}]
    assert routed_to(router, {"model": "gpt-4o", "messages": image_only}) is None
