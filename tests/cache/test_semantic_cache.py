"""The semantic cache end to end: paraphrases hit, near misses and other scopes
do not, and an empty scope costs no embedding on the request path."""

from __future__ import annotations

import asyncio

import httpx

from appliance.store import workspaces
from tests.cache.conftest import openai_client, post, wait_for

SYSTEM = {"role": "system", "content": "Answer in one sentence."}


def chat(app, key: str, text: str, system: dict = SYSTEM, **headers: str):  # type: ignore[no-untyped-def]
    with openai_client(app, key, **headers) as client:
        return client.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=[system, {"role": "user", "content": text}]
        )


def indexed(app, count: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Wait until `count` semantic entries are searchable."""
    index = app.runtime.caches.semantic.index
    wait_for(lambda: index.count() >= count, timeout=20)


def test_paraphrase_is_served_from_the_semantic_cache(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    first = chat(app, key, "What is the capital of France?")
    indexed(app)
    second = chat(app, key, "What's the capital city of France?")
    assert second.headers["x-semantic-cache-hit"] == "true"
    assert second.headers["x-cache-hit"] == "false"
    assert second.headers["x-tokens-saved"] == "1500"
    assert second.headers["x-cost-saved-usd"] == "0.006"
    assert second.http_response.content == first.http_response.content
    assert len(app.upstream.seen) == 1
    app.flush()
    assert [r.cache for r in app.records()] == ["miss", "semantic"]
    assert app.records()[1].cost_usd == 0


def test_near_miss_with_another_entity_goes_upstream(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    indexed(app)
    other = chat(app, key, "What is the capital of Germany?")
    assert other.headers["x-semantic-cache-hit"] == "false"
    assert len(app.upstream.seen) == 2


def test_swapped_units_are_refused(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "Convert 10 miles to km")
    indexed(app)
    assert (
        chat(app, key, "Convert 10 km to miles").headers["x-semantic-cache-hit"]
        == "false"
    )


def test_another_system_prompt_or_workspace_is_another_scope(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace("a")
    _, other_key = app.workspace("b")
    chat(app, key, "What is the capital of France?")
    indexed(app)
    other_system = {"role": "system", "content": "Answer in French."}
    calls = app.runtime.caches.semantic.embedded_on_request
    assert (
        chat(
            app, key, "What's the capital city of France?", system=other_system
        ).headers["x-semantic-cache-hit"]
        == "false"
    )
    assert (
        chat(app, other_key, "What's the capital city of France?").headers[
            "x-semantic-cache-hit"
        ]
        == "false"
    )
    assert app.runtime.caches.semantic.embedded_on_request == calls
    assert len(app.upstream.seen) == 3


def test_streaming_request_is_served_a_semantic_hit_as_a_stream(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    indexed(app)
    question = {"role": "user", "content": "Tell me the capital of France."}
    with (
        openai_client(app, key) as client,
        client.chat.completions.stream(
            model="gpt-4o", messages=[SYSTEM, question]
        ) as stream,
    ):
        final = stream.get_final_completion()
        headers = stream._response.headers  # the helper keeps no public handle
    assert headers["x-semantic-cache-hit"] == "true"
    assert final.choices[0].message.content == "Paris is the capital of France."
    assert len(app.upstream.seen) == 1


def test_several_choices_and_images_are_never_served_semantically(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    indexed(app)
    several = {
        "model": "gpt-4o",
        "n": 2,
        "messages": [
            SYSTEM,
            {"role": "user", "content": "What's the capital city of France?"},
        ],
    }
    image = {
        "model": "gpt-4o",
        "messages": [
            SYSTEM,
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What's the capital city of France?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                    },
                ],
            },
        ],
    }
    assert post(app, key, several).headers["x-semantic-cache-hit"] == "false"
    assert post(app, key, image).headers["x-semantic-cache-hit"] == "false"
    assert len(app.upstream.seen) == 3


def test_workspace_switches_and_threshold_apply(semantic_appliance):
    app = semantic_appliance
    off_id, off_key = app.workspace("off")
    strict_id, strict_key = app.workspace("strict")
    engine = app.runtime.engine
    workspaces.update(engine, off_id, settings={"semantic_cache": False})
    workspaces.update(engine, strict_id, settings={"semantic_threshold": 0.99})
    app.runtime.keys.clear()
    for key in (off_key, strict_key):
        chat(app, key, "What is the capital of France?")
    indexed(app, 1)
    for key in (off_key, strict_key):
        assert (
            chat(app, key, "What's the capital city of France?").headers[
                "x-semantic-cache-hit"
            ]
            == "false"
        )
    assert len(app.upstream.seen) == 4


def test_cache_off_and_no_cache_skip_the_semantic_lookup(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    indexed(app)
    paraphrase = "What's the capital city of France?"
    assert (
        chat(app, key, paraphrase, **{"x-optera-cache": "off"}).headers[
            "x-semantic-cache-hit"
        ]
        == "false"
    )
    assert (
        chat(app, key, paraphrase, **{"cache-control": "no-cache"}).headers[
            "x-semantic-cache-hit"
        ]
        == "false"
    )
    assert len(app.upstream.seen) == 3


def test_exact_hit_wins_over_the_semantic_cache(semantic_appliance):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    again = chat(app, key, "What is the capital of France?")
    assert again.headers["x-cache-hit"] == "true"
    assert again.headers["x-semantic-cache-hit"] == "false"


async def test_identical_requests_during_a_semantic_lookup_share_it(
    semantic_appliance,
):
    app = semantic_appliance
    _, key = app.workspace()
    chat(app, key, "What is the capital of France?")
    indexed(app)
    lookups = app.runtime.caches.semantic.embedded_on_request
    payload = {
        "model": "gpt-4o",
        "messages": [
            SYSTEM,
            {"role": "user", "content": "Tell me the capital of France."},
        ],
    }
    headers = {"x-proxy-key": key, "authorization": "Bearer sk"}
    async with httpx.AsyncClient(base_url=app.url, timeout=30) as client:
        calls = [
            client.post("/v1/chat/completions", json=payload, headers=headers)
            for _ in range(4)
        ]
        responses = await asyncio.gather(*calls)
    assert [r.headers["x-semantic-cache-hit"] for r in responses] == ["true"] * 4
    assert app.runtime.caches.semantic.embedded_on_request - lookups == 1
    assert len(app.upstream.seen) == 1
