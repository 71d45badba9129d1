"""The vector index: scope isolation, TTL, the scope census, batched writes."""

import numpy as np
import pytest

from appliance.semantic.index import NewEntry, SemanticIndex
from tests.semantic.vectors import DIM, unit


def entry(scope: str, key: str, vector: np.ndarray, **extra) -> NewEntry:
    fields = {"workspace": "ws-a", "text": f"text {key}", "ttl_seconds": 60.0}
    fields.update(extra)
    return NewEntry(scope=scope, vector=vector, entry_key=key, **fields)


@pytest.fixture
def index(tmp_path, clock) -> SemanticIndex:
    return SemanticIndex.open(tmp_path / "vectors", DIM, clock)


def test_search_returns_nearest_entry_with_cosine_similarity(index):
    index.add(entry("s1", "near", unit(1, 0.1)))
    index.add(entry("s1", "far", unit(0, 1)))
    index.flush()

    found = index.search("s1", unit(1, 0), k=2)

    assert [c.entry_key for c in found] == ["near", "far"]
    assert found[0].similarity == pytest.approx(float(unit(1, 0.1) @ unit(1, 0)))
    assert found[0].text == "text near"
    assert found[1].similarity == pytest.approx(0.0, abs=1e-6)


def test_search_never_crosses_scopes(index):
    index.add(entry("workspace-a-scope", "a", unit(1, 0)))
    index.add(entry("workspace-b-scope", "b", unit(1, 0)))
    index.flush()

    found = index.search("workspace-b-scope", unit(1, 0), k=5)

    assert [c.entry_key for c in found] == ["b"]


def test_queued_entries_are_invisible_until_flush_and_written_in_one_add(index):
    for n in range(50):
        index.add(entry("s1", f"k{n}", unit(1, n / 50)))

    assert index.pending == 50
    assert not index.has_scope("s1")
    assert index.search("s1", unit(1, 0)) == []

    assert index.flush() == 50
    assert index.pending == 0
    assert index.count() == 50
    assert index.has_scope("s1")
    assert index._table.version == 3


def test_flush_with_nothing_queued_writes_nothing(index):
    version = index._table.version

    assert index.flush() == 0
    assert index._table.version == version


def test_expired_entries_are_not_found_and_purge_deletes_them(index, clock):
    index.add(entry("s1", "short", unit(1, 0), ttl_seconds=10))
    index.add(entry("s1", "long", unit(1, 0.2), ttl_seconds=100))
    index.flush()

    clock.now += 11

    assert [c.entry_key for c in index.search("s1", unit(1, 0))] == ["long"]
    assert index.purge_expired() == 1
    assert index.count() == 1

    clock.now += 100
    assert index.purge_expired() == 1
    assert not index.has_scope("s1")


def test_has_scope_survives_reopen(tmp_path, clock):
    first = SemanticIndex.open(tmp_path / "v", DIM, clock)
    first.add(entry("kept", "k", unit(1)))
    first.flush()

    again = SemanticIndex.open(tmp_path / "v", DIM, clock)

    assert again.has_scope("kept")
    assert not again.has_scope("other")
    assert again.count() == 1


def test_delete_workspace_removes_its_rows_and_scopes_only(index):
    index.add(entry("sa", "a", unit(1), workspace="ws-a"))
    index.add(entry("sb", "b", unit(1), workspace="ws-b"))
    index.flush()
    index.add(entry("sa", "queued", unit(1), workspace="ws-a"))

    assert index.delete_workspace("ws-a") == 1

    assert index.pending == 0
    assert not index.has_scope("sa")
    assert index.has_scope("sb")


def test_delete_scope_quotes_awkward_values(index):
    index.add(entry("it's", "a", unit(1)))
    index.add(entry("plain", "b", unit(1)))
    index.flush()

    assert index.delete_scope("it's") == 1
    assert index.count() == 1
    assert not index.has_scope("it's")


def test_delete_entry_keys_drops_rows_whose_answer_is_gone(index):
    for key in ("k1", "k2", "k3"):
        index.add(entry("s1", key, unit(1)))
    index.flush()

    assert index.delete_entry_keys(["k1", "k3"]) == 2
    assert [c.entry_key for c in index.search("s1", unit(1))] == ["k2"]


def test_cap_scopes_keeps_the_newest_rows(index, clock):
    for n in range(6):
        clock.now += 1
        index.add(entry("busy", f"k{n}", unit(1, n)))
        index.flush()

    assert index.cap_scopes(4) == 2
    kept = {c.entry_key for c in index.search("busy", unit(1), k=10)}
    assert kept == {"k2", "k3", "k4", "k5"}


def test_optimize_compacts_fragments_and_keeps_rows_searchable(index):
    for n in range(5):
        index.add(entry("s1", f"k{n}", unit(1, n)))
        index.flush()

    index.optimize()

    assert index._table.stats()["fragment_stats"]["num_fragments"] == 1
    assert len(index.search("s1", unit(1), k=10)) == 5
