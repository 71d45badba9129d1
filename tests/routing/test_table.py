"""The route table: default pairs, snapshots, overrides, one provider per pair."""

from __future__ import annotations

import pytest

from appliance.routing.capabilities import Catalog
from appliance.routing.policy import policy_for
from appliance.routing.table import RouteTable
from appliance.settings import RoutingSettings


def target(table: RouteTable, provider: str, model: str, **overrides: str):
    route = table.route(provider, model, overrides)
    return route.target.name if route else None


@pytest.mark.parametrize(
    ("provider", "asked", "cheaper"),
    [
        ("openai", "gpt-4o", "gpt-4o-mini"),
        ("openai", "gpt-4o-2024-11-20", "gpt-4o-mini"),
        ("openai", "gpt-4.1", "gpt-4.1-mini"),
        ("openai", "gpt-5", "gpt-5-mini"),
        ("anthropic", "claude-sonnet-4-5-20250929", "claude-haiku-4-5"),
        ("anthropic", "claude-sonnet-4-20250514", "claude-haiku-4-5"),
        ("anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-haiku-latest"),
        ("anthropic", "claude-opus-4-1-20250805", "claude-sonnet-4-5"),
        ("anthropic", "claude-opus-4-5", "claude-sonnet-4-5"),
    ],
)
def test_default_pairs(table: RouteTable, provider: str, asked: str, cheaper: str):
    assert target(table, provider, asked) == cheaper


@pytest.mark.parametrize("asked", ["gpt-4o-mini", "claude-haiku-4-5", "gpt-9"])
def test_cheap_and_unknown_models_have_no_route(table: RouteTable, asked: str):
    provider = "anthropic" if asked.startswith("claude") else "openai"
    assert target(table, provider, asked) is None


def test_model_asked_through_the_other_protocol_is_not_routed(table: RouteTable):
    assert target(table, "openai", "claude-sonnet-4-5") is None


def test_override_names_another_target(table: RouteTable):
    overrides = {"gpt-4o": "gpt-4.1-mini"}
    assert target(table, "openai", "gpt-4o-2024-08-06", **overrides) == "gpt-4.1-mini"


def test_override_off_stops_routing_for_that_model(table: RouteTable):
    assert target(table, "openai", "gpt-4o", **{"gpt-4o": "off"}) is None
    assert target(table, "openai", "gpt-4.1", **{"gpt-4o": "off"}) == "gpt-4.1-mini"


def test_override_to_another_providers_model_is_ignored(table: RouteTable):
    assert target(table, "openai", "gpt-4o", **{"gpt-4o": "claude-haiku-4-5"}) is None


def test_default_pair_across_providers_is_refused_at_load():
    catalog = Catalog.from_mapping(
        {
            "openai": {"big": {"context_window": 10, "max_output": 5}},
            "anthropic": {"small": {"context_window": 10, "max_output": 5}},
        }
    )
    with pytest.raises(ValueError, match="both must be openai models"):
        RouteTable.from_mapping(catalog, {"openai": {"big": "small"}})


def test_workspace_settings_override_appliance_settings():
    config = RoutingSettings(
        enabled=True, threshold=0.8, overrides={"gpt-4o": "off", "gpt-5": "off"}
    )
    workspace = {"routing": {"threshold": 0.6, "overrides": {"gpt-4o": "gpt-4o-mini"}}}
    policy = policy_for(config, workspace)
    assert policy.threshold == 0.6
    assert dict(policy.overrides) == {"gpt-4o": "gpt-4o-mini", "gpt-5": "off"}
    assert policy.enabled is True


def test_workspace_can_switch_routing_off_but_not_on():
    off = RoutingSettings(enabled=False)
    on = RoutingSettings(enabled=True)
    assert policy_for(off, {"routing": {"enabled": True}}).enabled is False
    assert policy_for(on, {"routing": {"enabled": False}}).enabled is False
    assert policy_for(on, None).enabled is True


def test_workspace_threshold_out_of_range_keeps_appliance_threshold():
    config = RoutingSettings(threshold=0.8)
    assert policy_for(config, {"routing": {"threshold": 7}}).threshold == 0.8
    assert policy_for(config, {"routing": {"threshold": True}}).threshold == 0.8
