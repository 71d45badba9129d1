"""SemanticCache on its own: lookups, empty scopes, dangling entries."""

from __future__ import annotations

import pytest

from appliance.cache.keys import SemanticQuery
from appliance.cache.semantic import SemanticCache
from appliance.cache.store import Entry, ExactStore, Limits
from appliance.providers.usage import Usage
from appliance.semantic.index import SemanticIndex


@pytest.fixture
def parts(tmp_path, embedder):  # type: ignore[no-untyped-def]
    store = ExactStore(None, Limits(100, 1_000_000))
    index = SemanticIndex.open(tmp_path / "vectors", embedder.dim)
    return store, SemanticCache(embedder, index, store)


def stored(store: ExactStore, key: str) -> Entry:
    entry = Entry(key, "ws", b'{"answer": "Paris"}', Usage(10, 5), 0.0, 1e12)
    store.put(entry)
    return entry


async def test_paraphrase_finds_the_stored_answer(parts):
    store, cache = parts
    entry = stored(store, "k1")
    cache.remember(
        SemanticQuery("scope-1", "What is the capital of France?"), "ws", "k1", 60
    )
    assert await cache.flush() == 1
    found = await cache.lookup(
        SemanticQuery("scope-1", "Tell me the capital of France."), 0.9
    )
    assert found == entry
    other_scope = SemanticQuery("scope-2", "Tell me the capital of France.")
    assert await cache.lookup(other_scope, 0.9) is None


async def test_empty_scope_costs_no_embedding(parts):
    _, cache = parts
    calls = cache.embedder.model_calls
    assert await cache.lookup(SemanticQuery("nothing-here", "Hello?"), 0.9) is None
    assert cache.embedder.model_calls == calls
    assert cache.embedded_on_request == 0


async def test_entry_whose_answer_is_gone_is_skipped_and_dropped(parts):
    store, cache = parts
    stored(store, "k1")
    cache.remember(
        SemanticQuery("scope-1", "What is the capital of France?"), "ws", "k1", 60
    )
    await cache.flush()
    store.delete("k1")
    query = SemanticQuery("scope-1", "What's the capital city of France?")
    assert await cache.lookup(query, 0.9) is None
    await cache.tend()
    assert cache.index.count() == 0


async def test_new_entry_reuses_the_vector_its_lookup_embedded(parts, embedder):
    _, cache = parts
    cache.remember(SemanticQuery("s", "How tall is Mount Everest?"), "ws", "k1", 60)
    await cache.flush()
    question = SemanticQuery("s", "How deep is the Mariana Trench in metres?")
    before = embedder.model_calls

    assert await cache.lookup(question, 0.88) is None
    cache.remember(question, "ws", "k2", 60)
    await cache.flush()

    assert embedder.model_calls - before == 1
    assert cache.index.count() == 2
