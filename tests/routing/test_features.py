"""Difficulty signals read from the request, and how they move the score."""

from __future__ import annotations

from typing import Any

from appliance.routing.classifier import DifficultyClassifier
from appliance.routing.examples import Vote
from appliance.routing.features import Features, features_of
from appliance.routing.needs import needs_of
from appliance.routing.prompt import read_prompt, split_material
from appliance.routing.router import Router
from tests.routing.conftest import chat, messages

EVEN = Vote(easy_share=0.5, nearest=0.6)


def features(body: dict[str, Any]) -> Features:
    prompt = read_prompt(body)
    return features_of(prompt, needs_of(body, prompt))


def score(router: Router, body: dict[str, Any], vote: Vote = EVEN) -> float:
    classifier: DifficultyClassifier = router.classifier
    return classifier.judge(features(body), vote).easiness


def test_quoted_material_is_split_from_the_instruction():
    task = "Summarize this email in one line: 'Hi all, the root cause was a token.'"
    instruction, material = split_material(task)
    assert instruction == "Summarize this email in one line"
    assert material.startswith(": 'Hi all")
    assert split_material("What is 2 + 2?") == ("What is 2 + 2?", "")


def test_depth_words_inside_quoted_material_are_not_counted():
    quoted = features(
        chat("gpt-4o", "TL;DR: 'We fixed the root cause of the deadlock.'")
    )
    asked = features(chat("gpt-4o", "Find the root cause of the deadlock."))
    assert quoted.depth_cues == 0
    assert asked.depth_cues == 2


def test_separate_demands_are_counted_once_each():
    found = features(
        chat("gpt-4o", "Diagnose the leak, explain it, then explain it again.")
    )
    assert found.demands == 2


def test_math_and_code_are_detected():
    assert features(chat("gpt-4o", "Evaluate sin(x)^2 dx over [0, pi].")).math is True
    assert features(chat("gpt-4o", "What is the capital of Peru?")).math is False
    code = "Why does this fail?\n```python\ndef f(x):\n    return x +\n```"
    assert features(chat("gpt-4o", code)).code is True


def test_conversation_depth_counts_user_turns():
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "And now?"},
    ]
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "Be kind."}, *history],
    }
    found = features(body)
    assert found.user_turns == 2
    assert found.instruction_chars == len("And now?")


def test_anthropic_system_prompt_is_read_but_not_the_instruction():
    body = messages("claude-sonnet-4-5", "Hello?", system="You are a tax adviser.")
    prompt = read_prompt(body)
    assert prompt.system == "You are a tax adviser."
    assert prompt.instruction == "Hello?"


def test_high_reasoning_effort_and_thinking_lower_the_score(router: Router):
    plain = score(router, chat("gpt-5", "Name a prime number."))
    effort = score(
        router, chat("gpt-5", "Name a prime number.", reasoning_effort="high")
    )
    low = score(router, chat("gpt-5", "Name a prime number.", reasoning_effort="low"))
    assert effort < plain
    assert low == plain
    thinking = {"type": "enabled", "budget_tokens": 4000}
    anthropic = messages("claude-sonnet-4-5", "Name a prime number.")
    assert score(router, {**anthropic, "thinking": thinking}) < score(router, anthropic)


def test_a_list_after_a_colon_is_material_not_steps():
    assert (
        features(chat("gpt-4o", "Book it\n1. find\n2. compare\n3. pay")).step_lines == 3
    )
    assert features(chat("gpt-4o", "Rate these:\n1. good\n2. bad")).step_lines == 0


def test_tools_and_steps_lower_the_score(router: Router):
    tool = {"type": "function", "function": {"name": "t", "parameters": {}}}
    plain = score(router, chat("gpt-4o", "Book the cheapest flight."))
    tools = score(router, chat("gpt-4o", "Book the cheapest flight.", tools=[tool] * 6))
    steps = score(router, chat("gpt-4o", "Book it\n1. find\n2. compare\n3. pay"))
    assert tools < plain
    assert steps < plain


def test_the_vote_of_the_examples_moves_the_score(router: Router):
    body = chat("gpt-4o", "Tell me about the moon.")
    easy = score(router, body, Vote(easy_share=1.0, nearest=0.7))
    hard = score(router, body, Vote(easy_share=0.0, nearest=0.7))
    assert hard < 0.5 < easy


def test_large_output_schemas_lower_the_score(router: Router):
    fields = {f"field_{i}": {"type": "string"} for i in range(30)}
    nested = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": fields},
            }
        },
    }
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": nested}}
    body = chat("gpt-4o", "Extract the line items.", response_format=schema)
    assert features(body).schema_fields == 31
    assert score(router, body) < score(
        router, chat("gpt-4o", "Extract the line items.")
    )
