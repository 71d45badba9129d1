"""The in-memory mirror of hot scopes: same answers as LanceDB, kept in step."""

import numpy as np
import pytest

from appliance.semantic.index import NewEntry, SemanticIndex
from tests.semantic.vectors import DIM, unit


def entry(scope: str, key: str, vector: np.ndarray, **extra) -> NewEntry:
    fields = {"workspace": "ws-a", "text": f"text {key}", "ttl_seconds": 60.0}
    fields.update(extra)
    return NewEntry(scope=scope, vector=vector, entry_key=key, **fields)


def keys(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [candidate.entry_key for candidate in found]


@pytest.fixture
def index(tmp_path, clock) -> SemanticIndex:
    return SemanticIndex.open(tmp_path / "vectors", DIM, clock)


def test_mirror_finds_what_lancedb_finds_with_the_same_similarities(index):
    rng = np.random.default_rng(3)
    for n, vector in enumerate(rng.standard_normal((300, DIM))):
        index.add(entry(f"s{n % 3}", f"k{n}", vector * (1 + n % 5)))
    index.flush()

    for query in rng.standard_normal((20, DIM)).astype(np.float32):
        mirrored = index.search("s1", query, k=5)
        table = index.search_table("s1", query, k=5)
        assert keys(mirrored) == keys(table)
        assert [c.similarity for c in mirrored] == pytest.approx(
            [c.similarity for c in table], abs=1e-5
        )
    assert index.mirrored_rows == 100


def test_search_in_memory_answers_only_once_the_scope_is_loaded(index):
    index.add(entry("s1", "a", unit(1)))
    index.flush()

    assert index.search_in_memory("s1", unit(1)) is None
    assert keys(index.search("s1", unit(1))) == ["a"]
    assert keys(index.search_in_memory("s1", unit(1)) or []) == ["a"]


def test_entries_written_after_loading_are_found_in_memory(index):
    index.add(entry("s1", "old", unit(0, 1)))
    index.flush()
    index.search("s1", unit(1))

    index.add(entry("s1", "new", unit(1, 0.1)))
    index.add(entry("s2", "elsewhere", unit(1)))
    index.flush()

    assert keys(index.search_in_memory("s1", unit(1), k=5) or []) == ["new", "old"]
    assert index.mirrored_rows == 2


def test_expired_mirrored_entries_are_not_found_and_purge_drops_them(index, clock):
    index.add(entry("s1", "short", unit(1, 0), ttl_seconds=10))
    index.add(entry("s1", "long", unit(1, 0.2), ttl_seconds=100))
    index.flush()
    index.search("s1", unit(1))

    clock.now += 11

    assert keys(index.search_in_memory("s1", unit(1)) or []) == ["long"]
    assert index.purge_expired() == 1
    assert index.mirrored_rows == 1


def test_deleted_keys_workspaces_and_scopes_leave_the_mirror(index):
    index.add(entry("sa", "a1", unit(1), workspace="ws-a"))
    index.add(entry("sa", "a2", unit(1, 0.1), workspace="ws-a"))
    index.add(entry("sb", "b1", unit(1), workspace="ws-b"))
    index.add(entry("sc", "c1", unit(1), workspace="ws-c"))
    index.flush()
    for scope in ("sa", "sb", "sc"):
        index.search(scope, unit(1))

    index.delete_entry_keys(["a1"])
    assert keys(index.search("sa", unit(1))) == ["a2"]
    index.delete_workspace("ws-b")
    assert index.search("sb", unit(1)) == []
    index.delete_scope("sc")
    assert index.search("sc", unit(1)) == []
    assert index.search_in_memory("sc", unit(1)) is None
    assert index.mirrored_rows == 1


def test_capped_scope_keeps_its_newest_rows_in_memory(index, clock):
    for n in range(6):
        clock.now += 1
        index.add(entry("busy", f"k{n}", unit(1, n)))
        index.flush()
    index.search("busy", unit(1))

    assert index.cap_scopes(4) == 2

    kept = keys(index.search_in_memory("busy", unit(1), k=10) or [])
    assert sorted(kept) == ["k2", "k3", "k4", "k5"]


def test_least_recently_searched_scope_leaves_when_the_budget_is_full(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, mirror_rows=3)
    for scope in ("first", "second"):
        index.add(entry(scope, f"{scope}-1", unit(1)))
        index.add(entry(scope, f"{scope}-2", unit(1, 1)))
    index.flush()

    index.search("first", unit(1))
    index.search("second", unit(1))

    assert index.search_in_memory("first", unit(1)) is None
    assert keys(index.search_in_memory("second", unit(1)) or []) == [
        "second-1",
        "second-2",
    ]
    assert keys(index.search("first", unit(1))) == ["first-1", "first-2"]
    assert index.mirrored_rows == 2


def test_scope_larger_than_the_budget_is_searched_in_lancedb(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, mirror_rows=2)
    for n in range(3):
        index.add(entry("big", f"k{n}", unit(1, n)))
    index.flush()

    assert keys(index.search("big", unit(1), k=1)) == ["k0"]
    assert index.mirrored_rows == 0
    assert index.search_in_memory("big", unit(1)) is None


def test_scope_growing_past_the_budget_leaves_the_mirror(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, mirror_rows=2)
    index.add(entry("grows", "k0", unit(1)))
    index.flush()
    index.search("grows", unit(1))

    index.add(entry("grows", "k1", unit(1, 1)))
    index.add(entry("grows", "k2", unit(1, 2)))
    index.flush()

    assert index.mirrored_rows == 0
    assert keys(index.search("grows", unit(1), k=5)) == ["k0", "k1", "k2"]


def test_no_mirror_at_all_when_its_budget_is_zero(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, mirror_rows=0)
    index.add(entry("s1", "a", unit(1)))
    index.flush()

    assert keys(index.search("s1", unit(1))) == ["a"]
    assert index.mirrored_rows == 0


def test_entries_survive_a_restart_and_reload_into_memory(tmp_path, clock):
    first = SemanticIndex.open(tmp_path / "v", DIM, clock)
    first.add(entry("kept", "k", unit(1), text="What is the capital of France?"))
    first.flush()

    again = SemanticIndex.open(tmp_path / "v", DIM, clock)
    found = again.search("kept", unit(1, 0.1))

    assert keys(found) == ["k"]
    assert found[0].text == "What is the capital of France?"
    assert found[0].similarity == pytest.approx(float(unit(1) @ unit(1, 0.1)))
    assert again.mirrored_rows == 1
