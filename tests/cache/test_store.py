"""The exact store: LRU eviction, TTL, persistence across restarts."""

from __future__ import annotations

import pytest

from appliance.cache.store import Entry, ExactStore, Limits
from appliance.providers.usage import Usage
from appliance.store import cache_entries
from appliance.store.db import open_engine


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def entry(
    key: str, clock: Clock, ttl: float = 60.0, body: bytes = b"{}", ws="ws-1"
) -> Entry:
    usage = Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=7)
    return Entry(key, ws, body, usage, clock.now, clock.now + ttl)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def memory_store(clock: Clock, entries: int = 3, size: int = 10_000) -> ExactStore:
    return ExactStore(None, Limits(max_entries=entries, max_bytes=size), clock)


def test_least_recently_used_entry_is_evicted_past_the_entry_cap(clock):
    store = memory_store(clock, entries=2)
    store.put(entry("a", clock))
    store.put(entry("b", clock))
    assert store.get("a") is not None
    store.put(entry("c", clock))
    assert store.get("b") is None
    assert store.get("a") is not None and store.get("c") is not None
    assert store.evictions == 1


def test_entries_are_evicted_past_the_byte_cap(clock):
    store = memory_store(clock, entries=100, size=25)
    for key in "abc":
        store.put(entry(key, clock, body=b"x" * 10))
    assert [k for k in "abc" if store.get(k)] == ["b", "c"]
    assert store.bytes == 20


def test_entry_expires_after_its_ttl(clock):
    store = memory_store(clock)
    store.put(entry("a", clock, ttl=5))
    clock.now += 4.9
    assert store.get("a") is not None
    clock.now += 0.2
    assert store.get("a") is None
    assert len(store) == 0


async def test_entries_survive_a_restart_and_load_lazily(tmp_path, clock):
    engine = open_engine(tmp_path)
    first = ExactStore(engine, Limits(10, 10_000), clock)
    first.start()
    first.put(entry("a", clock, body=b'{"answer": 1}'))
    first.put(entry("gone", clock, ttl=1))
    await first.close()

    clock.now += 2
    second = ExactStore(engine, Limits(10, 10_000), clock)
    second.start()
    await second.drain()
    assert len(second) == 0
    loaded = await second.fetch("a")
    assert loaded is not None
    assert loaded.body == b'{"answer": 1}'
    assert loaded.usage == Usage(
        input_tokens=1200, output_tokens=300, cache_read_tokens=7
    )
    assert len(second) == 1
    assert await second.fetch("gone") is None
    assert await second.fetch("never") is None
    await second.close()
    assert cache_entries.count(engine) == 1


async def test_evicted_and_deleted_entries_are_gone_from_disk_too(tmp_path, clock):
    engine = open_engine(tmp_path)
    store = ExactStore(engine, Limits(2, 10_000), clock)
    store.start()
    for key in "abc":
        store.put(entry(key, clock))
    store.delete("b")
    await store.drain()
    assert cache_entries.find(engine, "a") is None
    assert cache_entries.find(engine, "b") is None
    assert cache_entries.find(engine, "c") is not None
    await store.close()

    restarted = ExactStore(engine, Limits(2, 10_000), clock)
    restarted.start()
    assert await restarted.fetch("a") is None
    assert await restarted.fetch("c") is not None
    await restarted.close()


async def test_disk_is_trimmed_to_the_entry_cap_at_start(tmp_path, clock):
    engine = open_engine(tmp_path)
    store = ExactStore(engine, Limits(10, 10_000), clock)
    store.start()
    for index in range(6):
        clock.now += 1
        store.put(entry(f"k{index}", clock))
    await store.close()

    smaller = ExactStore(engine, Limits(4, 10_000), clock)
    smaller.start()
    await smaller.drain()
    assert cache_entries.count(engine) == 4
    assert await smaller.fetch("k0") is None
    assert await smaller.fetch("k5") is not None
    await smaller.close()


async def test_deleting_a_workspace_drops_only_its_entries(tmp_path, clock):
    engine = open_engine(tmp_path)
    store = ExactStore(engine, Limits(10, 10_000), clock)
    store.start()
    store.put(entry("a", clock, ws="ws-1"))
    store.put(entry("b", clock, ws="ws-2"))
    assert store.delete_workspace("ws-1") == 1
    await store.drain()
    assert store.get("a") is None and store.get("b") is not None
    assert cache_entries.find(engine, "a") is None
    assert cache_entries.find(engine, "b") is not None
    await store.close()
