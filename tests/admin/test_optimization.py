"""Per-workspace optimization settings: defaults, merge patches, checks, reloads."""

from __future__ import annotations

import pytest

from appliance.routing.policy import policy_for
from appliance.store import keys, workspace_settings, workspaces
from tests.conftest import appliance_settings

# The test appliance's config: the shipped defaults, with the semantic cache and
# routing switched off (tests/conftest.py) so that no model loads.
DEFAULTS = {
    "exact_cache": True,
    "semantic_cache": False,
    "semantic_threshold": 0.88,
    "routing": False,
    "routing_threshold": 0.8,
    "route_overrides": {},
    "compression": {
        "preamble": True,
        "repetition": True,
        "summarize": False,
        "tools": True,
        "images": True,
        "provider_cache_breakpoints": True,
    },
    "cache_ttl_seconds": 86_400,
    "store_prompts": False,
}


def new_workspace(admin) -> str:  # type: ignore[no-untyped-def]
    return admin.call("POST", "/workspaces", json={"name": "acme"}).json()["id"]


def test_fresh_workspace_has_the_config_defaults(admin):
    ws = new_workspace(admin)
    shown = admin.call("GET", f"/workspaces/{ws}/settings").json()
    assert shown == {**DEFAULTS, "overrides": {}}


def test_put_merges_partially_and_persists(admin):
    ws = new_workspace(admin)
    first = admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={"semantic_threshold": 0.95, "compression": {"summarize": True}},
    )
    assert first.status_code == 200
    second = admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={"routing": False, "route_overrides": {"gpt-4o": "gpt-4o-mini"}},
    ).json()
    assert second["semantic_threshold"] == 0.95
    assert second["routing"] is False
    assert second["compression"] == {**DEFAULTS["compression"], "summarize": True}
    assert second["route_overrides"] == {"gpt-4o": "gpt-4o-mini"}
    assert second["exact_cache"] is True
    assert second["overrides"] == {
        "semantic_threshold": 0.95,
        "compression": {"summarize": True},
        "routing": False,
        "route_overrides": {"gpt-4o": "gpt-4o-mini"},
    }
    stored = workspaces.get(admin.runtime.engine, ws).settings
    assert stored == {
        "semantic_threshold": 0.95,
        "compression": {"summarize": True},
        "routing": {"enabled": False, "overrides": {"gpt-4o": "gpt-4o-mini"}},
    }
    assert admin.call("GET", f"/workspaces/{ws}/settings").json() == second


def test_null_puts_a_setting_back_to_the_default(admin):
    ws = new_workspace(admin)
    admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={
            "cache_ttl_seconds": 60,
            "compression": {"tools": False},
            "route_overrides": {"a": "b", "c": "d"},
        },
    )
    reset = admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={
            "cache_ttl_seconds": None,
            "compression": {"tools": None},
            "route_overrides": {"a": None},
        },
    ).json()
    assert reset["cache_ttl_seconds"] == 86_400
    assert reset["compression"]["tools"] is True
    assert reset["route_overrides"] == {"c": "d"}
    assert reset["overrides"] == {"route_overrides": {"c": "d"}}


@pytest.mark.parametrize(
    "body",
    [
        {"exact_cache": "yes"},
        {"exact_cache": 1},
        {"semantic_threshold": 1.5},
        {"semantic_threshold": "0.9"},
        {"cache_ttl_seconds": -1},
        {"cache_ttl_seconds": 1.5},
        {"compression": {"gzip": True}},
        {"compression": {"tools": "off"}},
        {"route_overrides": {"gpt-4o": 5}},
        {"route_overrides": ["gpt-4o"]},
        {"store_prompts": None, "bogus": True},
        [1, 2],
    ],
)
def test_bad_settings_are_400_and_change_nothing(admin, body):
    ws = new_workspace(admin)
    response = admin.call("PUT", f"/workspaces/{ws}/settings", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["message"].startswith("Invalid")
    assert workspaces.get(admin.runtime.engine, ws).settings == {}


def test_settings_reach_the_proxy_key_cache_without_restart(admin):
    ws = new_workspace(admin)
    workspaces.activate(admin.runtime.engine, ws)
    _, plaintext = keys.issue(admin.runtime.engine, ws)
    _, before = admin.runtime.keys.find(plaintext)
    assert before.settings == {}
    admin.call("PUT", f"/workspaces/{ws}/settings", json={"exact_cache": False})
    _, after = admin.runtime.keys.find(plaintext)
    assert after.settings == {"exact_cache": False}


def test_config_defaults_come_from_the_settings_file(tmp_path):
    settings = appliance_settings(
        tmp_path,
        "http://127.0.0.1:9",
        semantic={"threshold": 0.8},
        compression={"summarize": True},
        routing={"overrides": {"gpt-4o": "gpt-4o-mini"}},
        privacy={"store_prompts": True},
    )
    effective = workspace_settings.effective(
        settings, {"compression": {"images": False}}
    )
    assert effective["semantic_threshold"] == 0.8
    assert effective["compression"]["summarize"] is True
    assert effective["compression"]["images"] is False
    assert effective["route_overrides"] == {"gpt-4o": "gpt-4o-mini"}
    assert effective["store_prompts"] is True


def test_route_step_reads_the_stored_routing_settings(admin):
    ws = new_workspace(admin)
    admin.call(
        "PUT",
        f"/workspaces/{ws}/settings",
        json={
            "routing_threshold": 0.7,
            "route_overrides": {"gpt-4o": "off", "claude-sonnet-4": "claude-haiku-4-5"},
        },
    )
    stored = workspaces.get(admin.runtime.engine, ws).settings
    routing_on = admin.settings.routing.model_copy(update={"enabled": True})
    policy = policy_for(routing_on, stored)
    assert (policy.enabled, policy.threshold) == (True, 0.7)
    assert dict(policy.overrides) == {
        "gpt-4o": "off",
        "claude-sonnet-4": "claude-haiku-4-5",
    }
    admin.call("PUT", f"/workspaces/{ws}/settings", json={"routing": False})
    stored = workspaces.get(admin.runtime.engine, ws).settings
    assert policy_for(routing_on, stored).enabled is False


def test_switch_off_in_config_stays_off_for_every_workspace(tmp_path):
    settings = appliance_settings(
        tmp_path,
        "http://127.0.0.1:9",
        cache={"exact_enabled": False},
        routing={"enabled": True},
    )
    stored = {"exact_cache": True, "semantic_cache": False}
    effective = workspace_settings.effective(settings, stored)
    assert effective["exact_cache"] is False
    assert effective["semantic_cache"] is False
    assert effective["routing"] is True
