"""The capability table finds models by name, alias and dated snapshot."""

from __future__ import annotations

import pytest

from appliance.pricing.prices import Pricer
from appliance.routing.table import RouteTable


@pytest.mark.parametrize(
    ("asked", "entry"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku-latest"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"),
        ("claude-opus-4", "claude-opus-4-0"),
        ("claude-opus-4-20250514", "claude-opus-4-0"),
        ("GPT-4O", "gpt-4o"),
    ],
)
def test_snapshot_and_alias_find_base_model(table: RouteTable, asked: str, entry: str):
    found = table.catalog.find(asked)
    assert found is not None
    assert found.name == entry


@pytest.mark.parametrize(
    "asked", ["ft:gpt-4o-mini:acme::abc123", "gpt-4o-audio-preview", "llama-3-70b"]
)
def test_unknown_and_fine_tuned_models_are_not_found(table: RouteTable, asked: str):
    assert table.catalog.find(asked) is None


def test_table_reads_limits_from_config(table: RouteTable):
    mini = table.catalog.find("gpt-4o-mini")
    haiku = table.catalog.find("claude-3-5-haiku-20241022")
    gpt5 = table.catalog.find("gpt-5-mini")
    assert mini is not None and haiku is not None and gpt5 is not None
    assert (mini.context_window, mini.max_output, mini.vision) == (128000, 16384, True)
    assert (haiku.max_output, haiku.vision, haiku.reasoning) == (8192, False, False)
    assert gpt5.reasoning_efforts == ("minimal", "low", "medium", "high")
    assert "temperature" in gpt5.unsupported_params


def test_every_routed_pair_is_priced_by_genai_prices(table: RouteTable):
    pricer = Pricer({})
    for source, target in table.defaults.items():
        provider = table.catalog.models[source].provider
        assert pricer.known(provider, source), source
        assert pricer.known(provider, target), target
