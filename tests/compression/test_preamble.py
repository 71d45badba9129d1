"""Preamble stripping: boilerplate goes, instructions, names and code stay."""

from __future__ import annotations

import copy

from appliance.compression import preamble

ROLE = "You are Ada, the billing assistant of Acme Corp."
CODE = "```python\nprint('Hello!')  # Hi there!\n```\n"


def _body():
    return {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": f"{ROLE} Answer in euros."},
            {
                "role": "user",
                "content": "Hi there!\nI hope you're doing well. Why was invoice "
                "INV-2291 charged 41.50 twice?\n\nThanks in advance!",
            },
            {
                "role": "assistant",
                "content": "As an AI language model, i cannot see your bank. The "
                "charge of 41.50 appears twice. I hope this helps! Let me know if "
                "you have any other questions.",
            },
            {
                "role": "user",
                "content": f"{ROLE}\nHello, what does this print?\n{CODE}",
            },
        ],
    }


def test_boilerplate_is_removed_with_exact_token_counts(counter, options):
    result = preamble.apply(_body(), "openai", counter, "gpt-4-turbo", options)
    messages = result.body["messages"]
    assert messages[0]["content"] == f"{ROLE} Answer in euros."
    assert messages[1]["content"] == "Why was invoice INV-2291 charged 41.50 twice?"
    assert messages[2]["content"] == (
        "I cannot see your bank. The charge of 41.50 appears twice."
    )
    assert messages[3]["content"] == f"what does this print?\n{CODE}"
    assert result.detail == {
        "greetings": 2,
        "sign_offs": 1,
        "filler": 4,
        "role_statements": 1,
    }
    assert (result.tokens_before, result.tokens_after) == (134, 85)
    assert result.changed


def test_input_body_is_never_mutated(counter, options):
    body = _body()
    snapshot = copy.deepcopy(body)
    preamble.apply(body, "openai", counter, "gpt-4-turbo", options)
    assert body == snapshot


def test_greeting_and_sign_off_that_name_someone_stay(counter, options):
    text = "Hi Maria,\nplease move the call to 3pm.\n\nBest regards,\nJohn"
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": text}]}
    result = preamble.apply(body, "openai", counter, "gpt-4", options)
    assert not result.changed
    assert result.body is body
    assert result.tokens_before == result.tokens_after


def test_a_message_that_is_only_a_greeting_is_kept(counter, options):
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Thanks!"}]}
    assert not preamble.apply(body, "openai", counter, "gpt-4", options).changed
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Hello!"}]}
    assert not preamble.apply(body, "openai", counter, "gpt-4", options).changed


def test_greetings_inside_code_and_quotes_are_not_touched(counter, options):
    text = f"> Hello there!\n> Thanks!\n{CODE}"
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": text}]}
    assert not preamble.apply(body, "openai", counter, "gpt-4", options).changed


def test_filler_with_a_name_or_number_survives(counter, options):
    text = (
        "Done. Let me know if you need help from John. "
        "Feel free to ask if you have 2 more."
    )
    body = {"model": "gpt-4", "messages": [{"role": "assistant", "content": text}]}
    assert not preamble.apply(body, "openai", counter, "gpt-4", options).changed


def test_anthropic_system_blocks_and_user_blocks_are_stripped(counter, options):
    body = {
        "model": "claude-sonnet-4-5",
        "system": [
            {"type": "text", "text": ROLE, "cache_control": {"type": "ephemeral"}}
        ],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"{ROLE}\nGood morning! Refund 12.00?"}
                ],
            }
        ],
    }
    result = preamble.apply(body, "anthropic", counter, "claude-sonnet-4-5", options)
    assert result.body["system"] == body["system"]
    assert result.body["messages"][0]["content"] == [
        {"type": "text", "text": "Refund 12.00?"}
    ]
    assert (result.tokens_before, result.tokens_after) == (37, 22)
