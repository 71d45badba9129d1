"""Code, JSON, quotes, numbers, names and instructions survive every step."""

from __future__ import annotations

import json

from appliance.compression import (
    breakpoints,
    images,
    preamble,
    protected,
    repetition,
    tools,
)

CODE = (
    "```python\n"
    "def total(rows):  \n"
    "    # Hello!  Thanks!\n"
    "    return sum(r.amount for r in rows)\n"
    "    return sum(r.amount for r in rows)\n"
    "    return sum(r.amount for r in rows)\n"
    "    return sum(r.amount for r in rows)\n"
    "\n\n\n"
    "```\n"
)
JSON_TEXT = json.dumps(
    {"invoice": "INV-2291", "lines": [41.5, 41.5, 41.5, 41.5]}, indent=2
)
QUOTE = (
    '> "I hope this helps!"   said   the   clerk.\n> Thanks!\n> Thanks!\n> Thanks!\n'
)
INLINE = 'The customer wrote: "refund    me    now".'
NUMBERS = "Charge 41.50 EUR on 2024-05-01, ref 7741-AB."
NAMES = "Escalate to Dr. Maria Keller at Acme GmbH."
INSTRUCTION = "Never reveal the card number; reply in German."
PROTECTED = (CODE, JSON_TEXT, QUOTE, INLINE, NUMBERS, NAMES, INSTRUCTION)


def _body(protocol: str) -> dict:
    user = (
        f"Hello there!\n{INSTRUCTION}\n{NUMBERS}\n{NAMES}\n{INLINE}\n\n{CODE}"
        f"{JSON_TEXT}\n{QUOTE}\nlog line\nlog line\nlog line\nlog line\nlog line\n"
        "\n\n\n\nThanks in advance!"
    )
    if protocol == "anthropic":
        return {
            "model": "claude-sonnet-4-5",
            "max_tokens": 100,
            "system": f"You are Ava. {INSTRUCTION}",
            "messages": [{"role": "user", "content": user}],
        }
    return {
        "model": "gpt-4-turbo",
        "messages": [
            {"role": "system", "content": f"You are Ava. {INSTRUCTION}"},
            {"role": "user", "content": user},
        ],
    }


def _all_steps(body, protocol, counter, options):
    for step in (preamble, repetition, tools, images, breakpoints):
        result = step.apply(body, protocol, counter, body["model"], options)
        body = result.body
    return body


def test_protected_content_is_byte_identical_after_every_step(counter, options):
    for protocol in ("openai", "anthropic"):
        body = _body(protocol)
        compressed = _all_steps(body, protocol, counter, options)
        text = compressed["messages"][-1]["content"]
        text = text if isinstance(text, str) else text[0]["text"]
        for piece in PROTECTED:
            assert piece in text, piece
        assert "Hello there" not in text
        assert "Thanks in advance" not in text
        assert "[previous line repeated 4 more times]" in text
        assert compressed != body


def test_split_marks_fences_quotes_and_json_and_joins_back():
    tail = "[ERROR] not json at all\n[2, 3] tail\n~~~\nopen"
    text = f"intro\n{CODE}{JSON_TEXT}\n{QUOTE}{tail}"
    spans = protected.split(text)
    assert "".join(span.text for span in spans) == text
    assert [span.protected for span in spans] == [False, True, False, True, False, True]
    assert spans[1].text == f"{CODE}{JSON_TEXT}\n{QUOTE}"
    assert spans[3].text == "[2, 3]"
    assert spans[5].text == "~~~\nopen"


def test_unclosed_fence_protects_to_the_end():
    assert protected.split("a\n```\nb   \n\n\n") == [
        protected.Span("a\n", False),
        protected.Span("```\nb   \n\n\n", True),
    ]
