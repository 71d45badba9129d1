"""Cache keys: what changes the answer changes the key, and nothing else does."""

from __future__ import annotations

import json

import pytest

from appliance.cache.keys import (
    RequestIdentity,
    embedding_key,
    exact_key,
    semantic_query,
)

BASE = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
    ],
    "temperature": 0.2,
}


def ident(body: dict, **fields) -> RequestIdentity:
    values = {
        "workspace_id": "ws-1",
        "protocol": "openai",
        "path": "/v1/chat/completions",
        "model": body.get("model"),
        "body": body,
    }
    values.update(fields)
    return RequestIdentity(**values)


def key_of(body: dict, **fields) -> str:
    return exact_key(ident(body, **fields))


def test_key_ignores_json_key_order_and_whitespace():
    shuffled = json.loads(json.dumps(dict(reversed(list(BASE.items()))), indent=4))
    shuffled["messages"] = [dict(reversed(list(m.items()))) for m in BASE["messages"]]
    assert key_of(shuffled) == key_of(BASE)


def test_integral_float_and_int_give_the_same_key():
    assert key_of({**BASE, "temperature": 1.0}) == key_of({**BASE, "temperature": 1})


@pytest.mark.parametrize("name", ["stream", "stream_options", "user", "metadata"])
def test_transport_and_bookkeeping_fields_do_not_change_the_key(name):
    values = {
        "stream": True,
        "stream_options": {"include_usage": True},
        "user": "u-42",
        "metadata": {"trace": "abc"},
    }
    assert key_of({**BASE, name: values[name]}) == key_of(BASE)


CHANGES = {
    "model": "gpt-4o-mini",
    "temperature": 0.3,
    "top_p": 0.5,
    "n": 2,
    "seed": 7,
    "stop": ["\n"],
    "max_tokens": 10,
    "max_completion_tokens": 10,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.5,
    "logit_bias": {"50256": -100},
    "reasoning_effort": "high",
    "reasoning": {"effort": "low"},
    "response_format": {"type": "json_object"},
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    "tool_choice": "required",
    "top_k": 5,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "system": "Be verbose.",
    "logprobs": True,
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_each_answer_parameter_changes_the_key(name):
    changed = {**BASE, name: CHANGES[name]}
    model = changed["model"]
    assert exact_key(ident(changed, model=model)) != key_of(BASE)


def test_message_text_and_image_change_the_key():
    other_text = {
        **BASE,
        "messages": [
            *BASE["messages"][:1],
            {"role": "user", "content": "Capital of Spain?"},
        ],
    }
    image = {
        "role": "user",
        "content": [
            {"type": "text", "text": "Capital of France?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ],
    }
    other_image = json.loads(json.dumps(image))
    other_image["content"][1]["image_url"]["url"] = "data:image/png;base64,BBBB"
    with_image = {**BASE, "messages": [BASE["messages"][0], image]}
    with_other_image = {**BASE, "messages": [BASE["messages"][0], other_image]}
    keys = {
        key_of(BASE),
        key_of(other_text),
        key_of(with_image),
        key_of(with_other_image),
    }
    assert len(keys) == 4


def test_key_is_scoped_to_workspace_protocol_and_path():
    keys = {
        key_of(BASE),
        key_of(BASE, workspace_id="ws-2"),
        key_of(BASE, protocol="anthropic"),
        key_of(BASE, path="/v1/messages"),
    }
    assert len(keys) == 4


def test_key_uses_the_asked_model_not_the_body_model():
    routed = {**BASE, "model": "gpt-4o-mini"}
    assert exact_key(ident(routed, model="gpt-4o")) == key_of(BASE)


def test_anthropic_beta_header_changes_the_key():
    plain = key_of(BASE, headers={"anthropic-version": "2023-06-01"})
    beta = key_of(
        BASE,
        headers={"anthropic-version": "2023-06-01", "anthropic-beta": "x-2025"},
    )
    unrelated = key_of(
        BASE, headers={"anthropic-version": "2023-06-01", "authorization": "Bearer k"}
    )
    assert plain != beta
    assert plain == unrelated


def test_embedding_key_depends_on_input_model_and_dimensions():
    body = {"model": "text-embedding-3-small", "input": ["a", "b"]}
    path = {"path": "/v1/embeddings"}
    base = embedding_key(ident(body, **path), "a")
    assert embedding_key(ident(body, **path), "b") != base
    assert embedding_key(ident({**body, "input": "zzz"}, **path), "a") == base
    assert embedding_key(ident({**body, "dimensions": 256}, **path), "a") != base
    assert (
        embedding_key(ident(body, model="text-embedding-3-large", **path), "a") != base
    )


def test_semantic_scope_ignores_only_the_last_user_turn():
    other_question = {
        **BASE,
        "messages": [
            BASE["messages"][0],
            {"role": "user", "content": "What is France's capital?"},
        ],
    }
    first = semantic_query(ident(BASE))
    second = semantic_query(ident(other_question))
    assert first is not None and second is not None
    assert first.scope == second.scope
    assert first.text == "Capital of France?"
    other_system = {
        **BASE,
        "messages": [{"role": "system", "content": "Be long."}, BASE["messages"][1]],
    }
    assert semantic_query(ident(other_system)).scope != first.scope
    assert semantic_query(ident({**BASE, "temperature": 0.9})).scope != first.scope
    assert semantic_query(ident(BASE, workspace_id="ws-2")).scope != first.scope


def test_semantic_refused_for_images_tool_results_and_several_choices():
    image = {
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": "http://x/y.png"}},
            {"type": "text", "text": "What is it?"},
        ],
    }
    tool_result = {"role": "tool", "tool_call_id": "c1", "content": "42"}
    anthropic_result = {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "42"}],
    }
    assistant_last = {
        **BASE,
        "messages": [*BASE["messages"], {"role": "assistant", "content": "Paris"}],
    }
    assert semantic_query(ident({**BASE, "messages": [image]})) is None
    assert (
        semantic_query(ident({**BASE, "messages": [tool_result, BASE["messages"][1]]}))
        is None
    )
    assert (
        semantic_query(
            ident({**BASE, "messages": [anthropic_result, BASE["messages"][1]]})
        )
        is None
    )
    assert semantic_query(ident({**BASE, "n": 2})) is None
    assert semantic_query(ident(assistant_last)) is None
    assert semantic_query(ident({**BASE, "n": 1})) is not None
