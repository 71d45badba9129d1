"""SemanticCache with the lexical gate: which misses skip the embedding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.cache.keys import SemanticQuery
from appliance.cache.semantic import SemanticCache
from appliance.cache.store import Entry, ExactStore, Limits
from appliance.providers.usage import Usage
from appliance.semantic.embedder import Embedder
from appliance.semantic.index import SemanticIndex
from tests.cache.conftest import packaged_embedder

SCOPE = "scope-1"
STORED = {
    "k-rice": "How many calories are in 100 grams of cooked rice?",
    "k-dark": "How do I enable dark mode in VS Code?",
    "k-list": "How do I reverse a list in Python?",
}


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    # No vector memo: each test counts the model's own calls.
    yield from packaged_embedder(memo_texts=0)


@pytest.fixture
async def cache(tmp_path, embedder) -> SemanticCache:  # type: ignore[no-untyped-def]
    store = ExactStore(None, Limits(100, 1_000_000))
    index = SemanticIndex.open(tmp_path / "vectors", embedder.dim)
    built = SemanticCache(embedder, index, store)
    for key, text in STORED.items():
        store.put(Entry(key, "ws", b'{"answer": 1}', Usage(10, 5), 0.0, 1e12))
        built.remember(SemanticQuery(SCOPE, text), "ws", key, 600)
    await built.flush()
    # The first lookup of a scope copies it into memory; the gate acts after.
    await built.lookup(SemanticQuery(SCOPE, "warm the scope up"), 0.88)
    return built


async def served_key(cache: SemanticCache, text: str) -> str | None:
    found = await cache.lookup(SemanticQuery(SCOPE, text), 0.88)
    return None if found is None else found.key


async def test_unrelated_prompt_in_a_populated_scope_is_not_embedded(cache):
    calls, embedded = cache.embedder.model_calls, cache.embedded_on_request

    assert await served_key(cache, "Who won the football world cup in 2010?") is None

    assert cache.embedder.model_calls == calls
    assert cache.embedded_on_request == embedded
    assert cache.gated == 1


async def test_paraphrase_sharing_words_is_embedded_and_served(cache):
    calls = cache.embedder.model_calls

    assert await served_key(cache, "What's the way to reverse a Python list?") == (
        "k-list"
    )

    assert cache.embedder.model_calls == calls + 1
    assert cache.gated == 0


@pytest.mark.parametrize(
    "near_miss",
    [
        "How many calories are in 200 grams of cooked rice?",
        "How do I disable dark mode in VS Code?",
    ],
)
async def test_near_miss_is_refused_by_the_guards_before_any_embedding(
    cache, near_miss
):
    calls = cache.embedder.model_calls

    assert await served_key(cache, near_miss) is None

    assert cache.embedder.model_calls == calls
    assert (cache.gated, cache.guarded) == (0, 1)


async def test_near_match_the_guards_accept_is_embedded_and_served(cache):
    calls = cache.embedder.model_calls

    found = await served_key(cache, "How do I turn on dark mode in VS Code?")

    assert found == "k-dark"
    assert cache.embedder.model_calls == calls + 1
    assert cache.guarded == 0


async def test_too_many_close_entries_are_left_to_the_embedding(cache):
    from appliance.semantic import precheck  # noqa: PLC0415

    stored = ["How many calories are in 100 grams of cooked rice?"] * (
        precheck.MAX_CHECKED + 1
    )
    memo = precheck.GuardMemo()
    asked = "How many calories are in 200 grams of cooked rice?"
    assert memo.any_accepts(asked, stored) is True
    assert memo.any_accepts(asked, stored[:1]) is False


@pytest.mark.parametrize(("overlap", "gated"), [(0.4, 1), (0.0, 0)])
async def test_config_word_overlap_reaches_the_gate(tmp_path, embedder, overlap, gated):
    from appliance.cache.caches import Caches  # noqa: PLC0415
    from appliance.settings import load_settings  # noqa: PLC0415

    settings = load_settings(None, {"OPTERA_DATA_DIR": str(tmp_path)})
    settings.semantic.enabled = True
    settings.semantic.word_overlap = overlap
    caches = Caches.open(settings, None, embedder)
    semantic = caches.semantic
    assert semantic is not None
    for key, text in STORED.items():
        caches.store.put(Entry(key, "ws", b'{"answer": 1}', Usage(10, 5), 0.0, 1e12))
        semantic.remember(SemanticQuery(SCOPE, text), "ws", key, 600)
    await semantic.flush()
    await semantic.lookup(SemanticQuery(SCOPE, "warm the scope up"), 0.88)
    calls = embedder.model_calls

    assert await served_key(semantic, "Who won the football world cup in 2010?") is None

    assert semantic.gated == gated
    assert embedder.model_calls == calls + (1 - gated)
    await caches.close()
