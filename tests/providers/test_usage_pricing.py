"""Real usage shapes from both providers, priced to the exact dollar."""

from __future__ import annotations

from decimal import Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from appliance.pricing import prices
from appliance.pricing.prices import Pricer
from appliance.providers.usage import Usage, anthropic_usage, openai_usage
from appliance.settings import PriceOverride

# As returned by OpenAI's chat completions for a reasoning model.
OPENAI_O_SERIES = {
    "prompt_tokens": 2000,
    "completion_tokens": 1500,
    "total_tokens": 3500,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 1200,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
# As returned by Anthropic's messages API with prompt caching.
ANTHROPIC_CACHED = {
    "input_tokens": 50,
    "cache_creation_input_tokens": 2000,
    "cache_read_input_tokens": 10000,
    "output_tokens": 500,
    "service_tier": "standard",
}


def test_openai_prompt_tokens_include_cached_and_completion_includes_reasoning():
    usage = openai_usage(OPENAI_O_SERIES)
    assert usage is not None
    assert usage.input_tokens == 2000
    assert usage.cache_read_tokens == 1024
    assert usage.output_tokens == 1500
    assert usage.reasoning_tokens == 1200


def test_anthropic_input_excludes_both_cache_classes():
    usage = anthropic_usage(ANTHROPIC_CACHED)
    assert usage is not None
    assert usage.input_tokens == 12050
    assert usage.cache_read_tokens == 10000
    assert usage.cache_write_tokens == 2000


def test_openai_cached_usage_priced_exactly():
    pricer = Pricer({})
    usage = openai_usage(OPENAI_O_SERIES)
    # o3-mini: $1.10 input, $0.55 cached input, $4.40 output per MTok.
    # 976 * 1.10 + 1024 * 0.55 + 1500 * 4.40 = 1073.6 + 563.2 + 6600 = 8236.8 / 1e6
    assert pricer.cost("openai", "o3-mini", usage) == Decimal("0.0082368")
    # Without the cache: 2000 * 1.10 + 6600 = 8800 / 1e6
    assert pricer.uncached_cost("openai", "o3-mini", usage) == Decimal("0.0088")


def test_anthropic_cache_writes_cost_more_than_plain_input():
    pricer = Pricer({})
    usage = anthropic_usage(ANTHROPIC_CACHED)
    # claude-3-5-haiku: $0.80 input, $0.08 read, $1.00 write, $4 output per MTok.
    # 50 * 0.8 + 10000 * 0.08 + 2000 * 1 + 500 * 4 = 40 + 800 + 2000 + 2000 = 4840 / 1e6
    assert pricer.cost("anthropic", "claude-3-5-haiku", usage) == Decimal("0.00484")
    # Uncached: 12050 * 0.8 + 2000 = 9640 + 2000 = 11640 / 1e6
    assert pricer.uncached_cost("anthropic", "claude-3-5-haiku", usage) == Decimal(
        "0.01164"
    )


def test_config_override_replaces_library_price():
    override = PriceOverride(
        input_mtok=Decimal("2"),
        output_mtok=Decimal("8"),
        cache_read_mtok=Decimal("0.5"),
    )
    pricer = Pricer({"my-finetune": override})
    usage = openai_usage(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 100,
            "prompt_tokens_details": {"cached_tokens": 400},
        }
    )
    # 600 * 2 + 400 * 0.5 + 100 * 8 = 1200 + 200 + 800 = 2200 / 1e6
    assert pricer.cost("openai", "my-finetune", usage) == Decimal("0.0022")


def test_unknown_model_costs_nothing_and_is_not_an_error():
    usage = openai_usage({"prompt_tokens": 10, "completion_tokens": 10})
    assert Pricer({}).cost("openai", "no-such-model-xyz", usage) == Decimal(0)


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "o3-mini",
        "claude-sonnet-4-5",
        "claude-3-5-haiku",
        "claude-opus-4-1",
    ],
)
@pytest.mark.parametrize(
    "usage",
    [
        Usage(input_tokens=1234, output_tokens=567),
        Usage(input_tokens=5000, output_tokens=10, cache_read_tokens=4000),
        Usage(
            input_tokens=9000,
            output_tokens=300,
            cache_read_tokens=2000,
            cache_write_tokens=6000,
        ),
        Usage(input_tokens=250_000, output_tokens=1000, cache_read_tokens=100_000),
    ],
)
def test_direct_rates_agree_with_genai_prices_to_the_digit(model, usage):
    provider = "anthropic" if model.startswith("claude") else "openai"
    expected = calc_price(
        PriceUsage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens or None,
            cache_write_tokens=usage.cache_write_tokens or None,
        ),
        model_ref=model,
        provider_id=provider,
    ).total_price
    assert Pricer({}).cost(provider, model, usage) == expected


def test_unknown_model_is_looked_up_once_not_per_request(monkeypatch):
    calls: list[str] = []

    def counting(usage, model_ref, provider_id):  # type: ignore[no-untyped-def]
        calls.append(model_ref)
        return calc_price(usage, model_ref=model_ref, provider_id=provider_id)

    monkeypatch.setattr(prices, "calc_price", counting)
    pricer = Pricer({})
    for _ in range(5):
        assert pricer.cost("openai", "no-such-model-x", Usage(100, 10)) == 0
    assert calls == ["no-such-model-x"]
