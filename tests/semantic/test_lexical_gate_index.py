"""The index's lexical gate: its word postings follow every write and delete."""

import pytest

from appliance.semantic.index import NewEntry, SemanticIndex
from tests.semantic.vectors import DIM, unit

BREAD = "How do I bake sourdough bread at home?"
WATER = "What is the boiling point of water?"
PAINTER = "Who painted the Mona Lisa?"


def entry(scope: str, key: str, text: str, **extra) -> NewEntry:
    fields = {"workspace": "ws-a", "ttl_seconds": 60.0, "vector": unit(1)}
    fields.update(extra)
    return NewEntry(scope=scope, entry_key=key, text=text, **fields)


@pytest.fixture
def index(tmp_path, clock) -> SemanticIndex:
    return SemanticIndex.open(tmp_path / "vectors", DIM, clock, word_overlap=0.5)


def loaded(index: SemanticIndex, *entries: NewEntry) -> SemanticIndex:
    for added in entries:
        index.add(added)
    index.flush()
    for scope in {added.scope for added in entries}:
        index.search(scope, unit(1))
    return index


def test_prompt_sharing_no_words_with_a_loaded_scope_is_gated(index):
    loaded(index, entry("s", "bread", BREAD), entry("s", "water", WATER))

    assert not index.may_hit("s", "Who won the football world cup?")
    assert index.may_hit("s", "At what temperature does water boil?")
    assert index.may_hit("s", "Why?")


def test_scope_not_in_memory_is_never_gated(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, word_overlap=0.5)
    index.add(entry("s", "bread", BREAD))
    index.flush()

    assert index.may_hit("s", "Who won the football world cup?")
    index.search("s", unit(1))
    assert not index.may_hit("s", "Who won the football world cup?")


def test_zero_overlap_turns_the_gate_off(tmp_path, clock):
    index = SemanticIndex.open(tmp_path / "v", DIM, clock, word_overlap=0)
    loaded(index, entry("s", "bread", BREAD))

    assert index.may_hit("s", "Who won the football world cup?")


def test_entries_written_after_loading_open_the_gate(index):
    loaded(index, entry("s", "bread", BREAD))
    assert not index.may_hit("s", PAINTER)

    index.add(entry("s", "painter", PAINTER))
    assert not index.may_hit("s", PAINTER)
    index.flush()

    assert index.may_hit("s", "Which artist painted the Mona Lisa?")


def test_deleted_keys_and_workspaces_close_the_gate(index):
    loaded(
        index,
        entry("s", "bread", BREAD),
        entry("s", "water", WATER, workspace="ws-b"),
        entry("s", "painter", PAINTER),
    )

    index.delete_entry_keys(["painter"])
    assert not index.may_hit("s", "Which artist painted the Mona Lisa?")
    assert index.may_hit("s", "Boiling point of water?")
    index.delete_workspace("ws-b")
    assert not index.may_hit("s", "Boiling point of water?")
    assert index.may_hit("s", "Baking sourdough bread at home")


def test_expired_entries_close_the_gate_before_and_after_the_purge(index, clock):
    loaded(
        index,
        entry("s", "bread", BREAD, ttl_seconds=100),
        entry("s", "water", WATER, ttl_seconds=10),
    )
    clock.now += 11

    assert not index.may_hit("s", "Boiling point of water?")
    assert index.purge_expired() == 1
    assert not index.may_hit("s", "Boiling point of water?")
    assert index.may_hit("s", "Baking sourdough bread at home")


def test_capped_scope_gates_on_its_newest_rows_only(index, clock):
    for key, text in (("bread", BREAD), ("water", WATER), ("painter", PAINTER)):
        clock.now += 1
        index.add(entry("s", key, text, ttl_seconds=600))
        index.flush()
    index.search("s", unit(1))

    assert index.cap_scopes(2) == 1

    assert not index.may_hit("s", "Baking sourdough bread at home")
    assert index.may_hit("s", "Boiling point of water?")
    assert index.may_hit("s", "Which artist painted the Mona Lisa?")


def test_scope_evicted_from_memory_is_no_longer_gated(tmp_path, clock):
    index = SemanticIndex.open(
        tmp_path / "v", DIM, clock, mirror_rows=1, word_overlap=0.5
    )
    loaded(index, entry("first", "bread", BREAD))
    assert not index.may_hit("first", PAINTER)

    loaded(index, entry("second", "water", WATER))

    assert index.may_hit("first", PAINTER)
    assert not index.may_hit("second", PAINTER)


def test_words_are_rebuilt_from_the_stored_text_after_a_restart(tmp_path, clock):
    first = SemanticIndex.open(tmp_path / "v", DIM, clock, word_overlap=0.5)
    first.add(entry("s", "water", WATER))
    first.flush()

    again = SemanticIndex.open(tmp_path / "v", DIM, clock, word_overlap=0.5)
    again.search("s", unit(1))

    assert not again.may_hit("s", PAINTER)
    assert again.may_hit("s", "Boiling point of water?")
