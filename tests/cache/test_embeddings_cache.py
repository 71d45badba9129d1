"""Per-input embeddings caching: only new inputs go upstream, order is kept."""

from __future__ import annotations

from decimal import Decimal

import openai
import pytest

from tests.cache.conftest import openai_client
from tests.fakes.upstream import embedding_of

MODEL = "text-embedding-3-small"


def embed(app, key: str, inputs):  # type: ignore[no-untyped-def]
    with openai_client(app, key) as client:
        raw = client.embeddings.with_raw_response.create(
            model=MODEL, input=inputs, encoding_format="float"
        )
    return raw.parse(), raw.headers


def code_of(vector: list[float]) -> float:
    return vector[-1]


def test_batch_sends_only_inputs_not_seen_before(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    embed(app, key, ["alpha beta", "gamma"])
    answer, headers = embed(app, key, ["gamma", "delta epsilon zeta", "alpha beta"])
    assert app.upstream.seen[-1].body["input"] == ["delta epsilon zeta"]
    assert [d.index for d in answer.data] == [0, 1, 2]
    texts = ["gamma", "delta epsilon zeta", "alpha beta"]
    assert [code_of(d.embedding) for d in answer.data] == [
        code_of(embedding_of(0, t)) for t in texts
    ]
    # The fake counts words: 3 tokens sent; "gamma" (1) and "alpha beta" (2) saved.
    assert answer.usage.prompt_tokens == 3
    assert headers["x-tokens-saved"] == "3"
    assert headers["x-cache-hit"] == "false"
    # text-embedding-3-small: $0.02 per million tokens.
    assert Decimal(headers["x-cost-saved-usd"]) == Decimal("0.00000006")


def test_fully_cached_batch_never_goes_upstream(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    first, _ = embed(app, key, ["one two", "three"])
    second, headers = embed(app, key, ["three", "one two"])
    assert len(app.upstream.seen) == 1
    assert headers["x-cache-hit"] == "true"
    assert headers["x-tokens-saved"] == "3"
    assert [d.embedding for d in second.data] == [
        first.data[1].embedding,
        first.data[0].embedding,
    ]
    assert second.usage.prompt_tokens == 0
    assert second.model == MODEL


def test_single_string_input_is_cached(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    embed(app, key, "hello world")
    answer, headers = embed(app, key, "hello world")
    assert headers["x-cache-hit"] == "true"
    assert headers["x-tokens-saved"] == "2"
    assert len(answer.data) == 1 and answer.data[0].index == 0
    assert len(app.upstream.seen) == 1


def test_usage_is_shared_across_the_inputs_sent(quiet_appliance):
    """The fake reports 6 tokens for both; each input keeps its own share."""
    app = quiet_appliance
    _, key = app.workspace()
    embed(app, key, ["a b c d", "e f"])
    _, headers = embed(app, key, ["a b c d"])
    _, other = embed(app, key, ["e f"])
    assert (headers["x-tokens-saved"], other["x-tokens-saved"]) == ("4", "2")


def test_embeddings_are_isolated_per_workspace_and_model(quiet_appliance):
    app = quiet_appliance
    _, key_a = app.workspace("a")
    _, key_b = app.workspace("b")
    embed(app, key_a, ["shared"])
    _, headers = embed(app, key_b, ["shared"])
    assert headers["x-cache-hit"] == "false"
    with openai_client(app, key_a) as client:
        client.embeddings.create(model="text-embedding-3-large", input=["shared"])
    assert len(app.upstream.seen) == 3


def test_failed_embeddings_request_stores_nothing(quiet_appliance):
    app = quiet_appliance
    _, key = app.workspace()
    app.upstream.reply(status=500, body={"error": {"message": "down"}})
    with pytest.raises(openai.InternalServerError):
        embed(app, key, ["x"])
    _, headers = embed(app, key, ["x"])
    assert headers["x-cache-hit"] == "false"
    assert len(app.upstream.seen) == 2


def test_answer_that_does_not_fit_the_inputs_sent_is_asked_for_again_whole(
    quiet_appliance,
):
    app = quiet_appliance
    _, key = app.workspace()
    embed(app, key, ["kept"])
    wrong = {
        "object": "list",
        "data": [],
        "model": MODEL,
        "usage": {"prompt_tokens": 0},
    }
    app.upstream.reply(body=wrong)
    answer, _ = embed(app, key, ["kept", "new one"])
    assert [s.body["input"] for s in app.upstream.seen[1:]] == [
        ["new one"],
        ["kept", "new one"],
    ]
    assert [code_of(d.embedding) for d in answer.data] == [
        code_of(embedding_of(0, "kept")),
        code_of(embedding_of(1, "new one")),
    ]
