"""Cost of one request's usage, in exact Decimal dollars.

Prices come from genai-prices; a model named under [prices] in config
replaces them. An unknown model costs 0 and is logged once at WARNING.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from appliance.providers.usage import Usage
from appliance.settings import PriceOverride

log = logging.getLogger(__name__)
MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


class Pricer:
    """Prices usage for (provider, model); built once, shared."""

    def __init__(self, overrides: dict[str, PriceOverride]) -> None:
        self._overrides = overrides
        self._unknown: set[tuple[str, str]] = set()

    def cost(self, provider: str, model: str, usage: Usage) -> Decimal:
        """What the provider charges for `usage` on `model`."""
        override = self._overrides.get(model)
        if override is not None:
            return _override_cost(override, usage)
        try:
            result = calc_price(
                _price_usage(usage), model_ref=model, provider_id=provider
            )
        except LookupError:
            self._warn_unknown(provider, model)
            return ZERO
        return Decimal(result.total_price)

    def uncached_cost(self, provider: str, model: str, usage: Usage) -> Decimal:
        """The cost of the same usage had no prompt-cache read or write happened."""
        plain = Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )
        return self.cost(provider, model, plain)

    def known(self, provider: str, model: str) -> bool:
        if model in self._overrides:
            return True
        try:
            calc_price(
                PriceUsage(input_tokens=1), model_ref=model, provider_id=provider
            )
        except LookupError:
            return False
        return True

    def _warn_unknown(self, provider: str, model: str) -> None:
        if (provider, model) not in self._unknown:
            self._unknown.add((provider, model))
            log.warning(
                "no price for %s model %s; counting it as free", provider, model
            )


def _price_usage(usage: Usage) -> PriceUsage:
    return PriceUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens or None,
        cache_write_tokens=usage.cache_write_tokens or None,
    )


def _override_cost(price: PriceOverride, usage: Usage) -> Decimal:
    read_rate = (
        price.cache_read_mtok if price.cache_read_mtok is not None else price.input_mtok
    )
    write_rate = (
        price.cache_write_mtok
        if price.cache_write_mtok is not None
        else price.input_mtok
    )
    plain = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    total = (
        plain * price.input_mtok
        + usage.cache_read_tokens * read_rate
        + usage.cache_write_tokens * write_rate
        + usage.output_tokens * price.output_mtok
    )
    return total / MILLION
