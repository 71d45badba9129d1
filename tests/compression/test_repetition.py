"""Repetition removal: repeats kept once, protected content never touched."""

from __future__ import annotations

import copy
import json

from appliance.compression import repetition

PARAGRAPH_A = (
    "Refunds are issued within 14 days of the request. Customers on the Growth "
    "plan receive a prorated credit for the unused part of the billing period, "
    "and the credit is applied to the next invoice automatically by the system."
)
PARAGRAPH_B = (
    "Chargebacks opened with the card issuer freeze the account until the dispute "
    "is resolved. Support must not promise a refund while a chargeback is open, "
    "and must link the customer to the dispute policy at acme.example/disputes."
)
DOCUMENT = f"{PARAGRAPH_A}\n\n{PARAGRAPH_B}"
CODE = "```\nretry()\nretry()\nretry()\nretry()\nretry()\n```\n"
JSON_BLOCK = json.dumps({"rows": [1, 1, 1, 1, 1]}, indent=2) + "\n"
QUOTED = "> same line\n" * 5
MARKER = "[passage removed: it repeats text earlier in this request]"


def _rag_body():
    return {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": "Answer from the documents only."},
            {
                "role": "user",
                "content": f"<doc id=1>\n{DOCUMENT}\n</doc>\n<doc id=7>\n{DOCUMENT}\n"
                "</doc>\n\nCan a customer with an open chargeback get a refund?",
            },
        ],
    }


def test_a_document_sent_twice_is_kept_once(counter, options):
    result = repetition.apply(_rag_body(), "openai", counter, "gpt-4-turbo", options)
    content = result.body["messages"][1]["content"]
    assert content == (
        f"<doc id=1>\n{DOCUMENT}\n</doc>\n<doc id=7>\n{MARKER}\n"
        "</doc>\n\nCan a customer with an open chargeback get a refund?"
    )
    assert content.count(PARAGRAPH_A) == content.count(PARAGRAPH_B) == 1
    assert result.detail == {"passages_removed": 1}
    assert (result.tokens_before, result.tokens_after) == (231, 152)


def test_a_repeated_message_keeps_its_first_copy(counter, options):
    body = {
        "model": "gpt-4",
        "messages": [
            {"role": "user", "content": PARAGRAPH_A},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": PARAGRAPH_A},
        ],
    }
    result = repetition.apply(body, "openai", counter, "gpt-4", options)
    assert result.body["messages"][0]["content"] == PARAGRAPH_A
    assert result.body["messages"][2]["content"] == MARKER


def test_log_runs_collapse_with_a_count_of_what_went(counter, options):
    log = (
        "2024-05-01 12:00:00 start\n"
        + "WARN pool exhausted, retrying\n" * 40
        + 'Traceback (most recent call last):\n  File "app.py", line 9\n' * 12
        + "2024-05-01 12:00:09 exit 1\n"
    )
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": log}]}
    result = repetition.apply(body, "openai", counter, "gpt-4", options)
    assert result.body["messages"][0]["content"] == (
        "2024-05-01 12:00:00 start\n"
        "WARN pool exhausted, retrying\n"
        "[previous line repeated 39 more times]\n"
        'Traceback (most recent call last):\n  File "app.py", line 9\n'
        "[previous 2 lines repeated 11 more times]\n"
        "2024-05-01 12:00:09 exit 1\n"
    )
    assert result.detail == {"lines_dropped": 61}
    assert (result.tokens_before, result.tokens_after) == (533, 82)


def test_code_json_and_quotes_are_byte_identical(counter, options):
    text = f"Look:\n{CODE}{JSON_BLOCK}{QUOTED}{PARAGRAPH_A}\n\n{PARAGRAPH_A}"
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": text}]}
    result = repetition.apply(body, "openai", counter, "gpt-4", options)
    content = result.body["messages"][0]["content"]
    assert content.startswith(f"Look:\n{CODE}{JSON_BLOCK}{QUOTED}{PARAGRAPH_A}")
    assert content == f"Look:\n{CODE}{JSON_BLOCK}{QUOTED}{PARAGRAPH_A}\n\n{MARKER}"
    assert result.detail == {"passages_removed": 1}


def test_blank_runs_shrink_but_indentation_and_quotes_stay(counter, options):
    text = 'word     word   \n\n\n\n\n    indented    code\nsay "a    b"\nend'
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": text}]}
    result = repetition.apply(body, "openai", counter, "gpt-4", options)
    assert result.body["messages"][0]["content"] == (
        'word word\n\n    indented    code\nsay "a    b"\nend'
    )


def test_input_body_is_never_mutated(counter, options):
    body = _rag_body()
    snapshot = copy.deepcopy(body)
    repetition.apply(body, "openai", counter, "gpt-4-turbo", options)
    assert body == snapshot


def test_anthropic_tool_results_are_deduplicated_too(counter, options):
    body = {
        "model": "claude-sonnet-4-5",
        "system": PARAGRAPH_B,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": PARAGRAPH_B}
                ],
            }
        ],
    }
    result = repetition.apply(body, "anthropic", counter, "claude-sonnet-4-5", options)
    assert result.body["system"] == PARAGRAPH_B
    block = result.body["messages"][0]["content"][0]
    assert block["content"] == MARKER
    assert block["tool_use_id"] == "t1"


def test_tool_results_keep_their_exact_white_space(counter, options):
    listing = "def total(rows):   \n\n\n\n    return 1\n"
    body = {
        "model": "claude-sonnet-4-5",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": listing}
                ],
            }
        ],
    }
    result = repetition.apply(body, "anthropic", counter, "claude-sonnet-4-5", options)
    assert not result.changed
    openai = {"model": "gpt-4", "messages": [{"role": "tool", "content": listing}]}
    assert not repetition.apply(openai, "openai", counter, "gpt-4", options).changed
