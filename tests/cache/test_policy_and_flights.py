"""Cache policy from controls and switches; single-flight; usage sharing."""

from __future__ import annotations

import asyncio

import pytest

from appliance.cache.embeddings import split_tokens
from appliance.cache.inflight import Flights
from appliance.cache.policy import policy_for
from appliance.cache.store import Entry
from appliance.errors import InvalidRequest
from appliance.providers.usage import Usage
from appliance.settings import CacheSettings, SemanticSettings

CACHE = CacheSettings(ttl_seconds=100)
SEMANTIC = SemanticSettings(threshold=0.9)


def policy(controls=None, workspace=None, **kw):  # type: ignore[no-untyped-def]
    return policy_for(controls or {}, workspace or {}, kw.get("cache", CACHE), SEMANTIC)


def test_defaults_look_up_and_store_with_the_config_ttl():
    chosen = policy()
    assert chosen is not None
    assert (chosen.exact_lookup, chosen.semantic_lookup, chosen.store) == (
        True,
        True,
        True,
    )
    assert chosen.ttl_seconds == 100 and chosen.threshold == 0.9


def test_cache_off_bypasses_everything():
    assert policy({"cache": "off"}) is None


def test_cache_control_directives():
    no_cache = policy({"cache-control": "no-cache"})
    no_store = policy({"cache-control": "max-age=0, no-store"})
    assert (no_cache.exact_lookup, no_cache.semantic_lookup, no_cache.store) == (
        False,
        False,
        True,
    )
    assert (no_store.exact_lookup, no_store.store, no_store.semantic_store) == (
        True,
        False,
        False,
    )


def test_ttl_from_request_then_workspace_then_config():
    assert policy({"cache-ttl": "5"}, {"cache_ttl_seconds": 50}).ttl_seconds == 5
    assert policy({}, {"cache_ttl_seconds": 50}).ttl_seconds == 50
    assert policy({"cache-ttl": "0"}).store is False
    with pytest.raises(InvalidRequest):
        policy({"cache-ttl": "-3"})


def test_workspace_switches_and_threshold():
    exact_off = policy({}, {"exact_cache": False, "semantic_threshold": 0.95})
    assert exact_off.exact_lookup is False and exact_off.semantic_lookup is True
    assert exact_off.threshold == 0.95
    assert policy({}, {"exact_cache": False, "semantic_cache": False}) is None
    assert (
        policy(
            cache=CacheSettings(exact_enabled=False),
            workspace={"semantic_cache": False},
        )
        is None
    )


def entry() -> Entry:
    return Entry("k", "ws", b"{}", Usage(input_tokens=1), 0.0, 1e12)


async def test_followers_receive_the_leaders_entry():
    flights = Flights(patience=1.0)
    leader = flights.lead("k")
    assert leader is not None and flights.lead("k") is None
    waiting = [asyncio.create_task(flights.joinable("k").wait()) for _ in range(3)]
    await asyncio.sleep(0)
    leader.settle(entry())
    assert [(await w).entry for w in waiting] == [entry()] * 3
    assert len(flights) == 0


async def test_follower_gives_up_after_its_patience():
    flights = Flights(patience=0.05)
    flights.lead("k")
    assert await flights.joinable("k").wait() is None
    assert flights.joinable("k") is None


def test_usage_split_sums_to_the_total_in_proportion():
    assert split_tokens(10, [1, 1, 2]) == [3, 2, 5]
    assert sum(split_tokens(7, [3, 3, 3])) == 7
    assert split_tokens(6, [4, 2]) == [4, 2]
    assert split_tokens(3, [0, 0, 0]) == [1, 1, 1]
    assert split_tokens(5, []) == []
