"""The exact cache end to end through the OpenAI SDK: hits, scope, TTL, controls."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import openai
import pytest

from appliance.app import create_app
from appliance.runtime import Runtime
from appliance.store import workspaces
from tests.cache.conftest import QUESTION, ask, post
from tests.conftest import Appliance, appliance_settings
from tests.fakes.servers import ThreadServer


def test_hit_returns_the_stored_body_with_savings_headers(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    first = ask(app, key)
    second = ask(app, key)
    assert len(app.upstream.seen) == 1
    assert second.http_response.content == first.http_response.content
    assert (
        second.parse().choices[0].message.content == "Paris is the capital of France."
    )
    assert first.headers["x-cache-hit"] == "false"
    assert second.headers["x-cache-hit"] == "true"
    assert second.headers["x-semantic-cache-hit"] == "false"
    assert second.headers["x-tokens-saved"] == "1500"
    # gpt-4o: 1200 prompt tokens at $2.50/MTok + 300 completion at $10/MTok.
    assert second.headers["x-cost-saved-usd"] == "0.006"


def test_hit_is_recorded_with_zero_provider_cost(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    ask(app, key)
    ask(app, key)
    app.flush()
    miss, hit = app.records()
    assert (miss.cache, hit.cache) == ("miss", "exact")
    assert miss.cost_usd == Decimal("0.006")
    assert hit.cost_usd == Decimal(0)
    assert hit.raw_cost_usd == Decimal("0.006")
    assert hit.cost_saved_usd == Decimal("0.006")
    assert hit.tokens_saved == 1500
    assert hit.prompt_tokens == 0


def test_key_order_and_whitespace_do_not_defeat_the_cache(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    body = {"model": "gpt-4o", "temperature": 0.5, "messages": QUESTION}
    post(app, key, body)
    raw = (
        '{ "messages" : [ {"content": "What is the capital of France?",'
        ' "role": "user"} ],\n  "temperature": 0.5, "model": "gpt-4o" }'
    )
    reordered = httpx.post(
        app.url + "/v1/chat/completions",
        content=raw.encode(),
        headers={"x-proxy-key": key, "content-type": "application/json"},
    )
    assert reordered.headers["x-cache-hit"] == "true"
    assert len(app.upstream.seen) == 1


def test_a_changed_parameter_misses(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    post(app, key, {"model": "gpt-4o", "messages": QUESTION, "temperature": 0})
    changed = post(
        app, key, {"model": "gpt-4o", "messages": QUESTION, "temperature": 1}
    )
    assert changed.headers["x-cache-hit"] == "false"
    assert len(app.upstream.seen) == 2


def test_one_workspace_never_sees_anothers_entries(quiet_appliance):
    app = quiet_appliance
    _, key_a = app.workspace("a")
    _, key_b = app.workspace("b")
    ask(app, key_a)
    other = ask(app, key_b)
    assert other.headers["x-cache-hit"] == "false"
    assert ask(app, key_b).headers["x-cache-hit"] == "true"
    assert len(app.upstream.seen) == 2


def test_entry_expires_after_the_requested_ttl(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    ask(app, key, **{"x-optera-cache-ttl": "1"})
    assert ask(app, key).headers["x-cache-hit"] == "true"
    time.sleep(1.1)
    assert ask(app, key).headers["x-cache-hit"] == "false"
    assert len(app.upstream.seen) == 2


def test_default_ttl_comes_from_config(appliance_factory):
    app = appliance_factory(cache={"ttl_seconds": 1}, semantic={"enabled": False})
    _, key = app.workspace()
    ask(app, key)
    time.sleep(1.1)
    assert ask(app, key).headers["x-cache-hit"] == "false"


def test_invalid_ttl_is_refused(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    with pytest.raises(openai.BadRequestError) as caught:
        ask(app, key, **{"x-optera-cache-ttl": "soon"})
    assert "x-optera-cache-ttl" in caught.value.message
    assert app.upstream.seen == []


def test_least_recently_used_entry_is_evicted_at_the_cap(appliance_factory):
    app = appliance_factory(cache={"max_entries": 2}, semantic={"enabled": False})
    _, key = app.workspace()

    def send(text: str) -> str:
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}
        return post(app, key, body).headers["x-cache-hit"]

    assert [send("a"), send("b"), send("a"), send("c")] == ["false"] * 2 + [
        "true",
        "false",
    ]
    assert send("a") == "true"
    assert send("b") == "false"
    assert len(app.upstream.seen) == 4


def test_cache_off_bypasses_lookup_and_store(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    off = {"x-optera-cache": "off"}
    ask(app, key, **off)
    assert ask(app, key).headers["x-cache-hit"] == "false"
    assert ask(app, key, **off).headers["x-cache-hit"] == "false"
    assert len(app.upstream.seen) == 3
    app.flush()
    assert [r.cache for r in app.records()] == ["bypass", "miss", "bypass"]


def test_no_cache_skips_the_lookup_but_refreshes_the_entry(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    ask(app, key)
    app.upstream.text = "Paris, on the Seine."
    fresh = ask(app, key, **{"cache-control": "no-cache"})
    assert fresh.headers["x-cache-hit"] == "false"
    assert fresh.parse().choices[0].message.content == "Paris, on the Seine."
    again = ask(app, key)
    assert again.headers["x-cache-hit"] == "true"
    assert again.parse().choices[0].message.content == "Paris, on the Seine."
    assert len(app.upstream.seen) == 2


def test_no_store_keeps_the_answer_out_but_may_be_served(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    no_store = {"cache-control": "no-store"}
    ask(app, key, **no_store)
    assert ask(app, key).headers["x-cache-hit"] == "false"
    assert ask(app, key, **no_store).headers["x-cache-hit"] == "true"
    assert len(app.upstream.seen) == 2


def test_workspace_can_switch_the_exact_cache_off_and_set_its_ttl(quiet_appliance):
    app = quiet_appliance
    off_id, off_key = app.workspace("off")
    short_id, short_key = app.workspace("short")
    engine = app.runtime.engine
    workspaces.update(
        engine, off_id, settings={"exact_cache": False, "semantic_cache": False}
    )
    workspaces.update(engine, short_id, settings={"cache_ttl_seconds": 1})
    app.runtime.keys.clear()
    ask(app, off_key)
    assert ask(app, off_key).headers["x-cache-hit"] == "false"
    ask(app, short_key)
    assert ask(app, short_key).headers["x-cache-hit"] == "true"
    time.sleep(1.1)
    assert ask(app, short_key).headers["x-cache-hit"] == "false"


def test_error_answers_are_never_stored(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(
        status=500, body={"error": {"message": "boom", "type": "server_error"}}
    )
    with pytest.raises(openai.InternalServerError):
        ask(app, key)
    assert ask(app, key).headers["x-cache-hit"] == "false"
    assert ask(app, key).headers["x-cache-hit"] == "true"
    assert len(app.upstream.seen) == 2


def test_a_hit_counts_against_the_quota(quiet_appliance):
    app = quiet_appliance
    ws_id, key = app.workspace()
    workspaces.set_plan(app.runtime.engine, ws_id, "custom", quota=2)
    app.runtime.keys.clear()
    ask(app, key)
    hit = ask(app, key)
    assert hit.headers["x-cache-hit"] == "true"
    assert hit.headers["x-optera-quota-remaining"] == "0"
    with pytest.raises(openai.RateLimitError):
        ask(app, key)
    assert len(app.upstream.seen) == 1


def test_entries_survive_a_restart_of_the_appliance(upstream, tmp_path):
    fake, fake_server = upstream
    settings = appliance_settings(
        tmp_path / "data", fake_server.url, semantic={"enabled": False}
    )
    answers = []
    for _ in range(2):
        runtime = Runtime.open(settings)
        server = ThreadServer(create_app(settings, runtime, owns_runtime=True)).start()
        app = Appliance(server.url, settings, runtime, fake)
        if not answers:
            _, key = app.workspace()
        try:
            answers.append(ask(app, key))
        finally:
            server.stop()
    assert [a.headers["x-cache-hit"] for a in answers] == ["false", "true"]
    assert answers[1].http_response.content == answers[0].http_response.content
    assert len(fake.seen) == 1
