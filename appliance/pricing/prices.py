"""Cost of one request's usage, in exact Decimal dollars.

Prices come from genai-prices; a model named under [prices] in config
replaces them. An unknown model costs 0 and is logged once at WARNING.
Each model's per-token rates are read from genai-prices' data once an hour
and applied directly below the first price tier; above it, and for prices
this shortcut does not cover, genai-prices computes the cost itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price, data_snapshot

from appliance.providers.usage import Usage
from appliance.settings import PriceOverride

log = logging.getLogger(__name__)
MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


RATES_TTL_S = 3600.0
REMEMBERED_MODELS = 10_000


@dataclass(frozen=True)
class Rates:
    """Dollars per million tokens below the model's first price tier."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    below: float  # the input size where the first tier starts


class Pricer:
    """Prices usage for (provider, model); built once, shared."""

    def __init__(self, overrides: dict[str, PriceOverride]) -> None:
        self._overrides = overrides
        self._unknown: set[tuple[str, str]] = set()
        self._rates: dict[tuple[str, str], tuple[float, Rates | None]] = {}

    def cost(self, provider: str, model: str, usage: Usage) -> Decimal:
        """What the provider charges for `usage` on `model`."""
        override = self._overrides.get(model)
        if override is not None:
            return _override_cost(override, usage)
        rates = self._rates_for(provider, model)
        if rates is not None and usage.input_tokens < rates.below:
            return _linear_cost(rates, usage)
        if rates is None and (provider, model) in self._unknown:
            return ZERO  # genai-prices said so already; asking again costs ~0.1 ms
        return self._library_cost(provider, model, usage)

    def _rates_for(self, provider: str, model: str) -> Rates | None:
        key = (provider, model)
        now = time.monotonic()
        cached = self._rates.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        rates = _read_rates(provider, model)
        if len(self._rates) >= REMEMBERED_MODELS:  # model names are the caller's
            self._rates.clear()
            self._unknown.clear()
        self._rates[key] = (now + RATES_TTL_S, rates)
        return rates

    def _library_cost(self, provider: str, model: str, usage: Usage) -> Decimal:
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

    def warm(self) -> None:
        """Load genai-prices' data now rather than on the first request."""
        data_snapshot.get_snapshot()

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


def _read_rates(provider: str, model: str) -> Rates | None:
    """The model's plain token rates from genai-prices' data, or None."""
    try:
        _, info = data_snapshot.get_snapshot().find_provider_model(
            model, None, provider, None
        )
        price = info.get_prices(datetime.now(UTC))
    except LookupError:
        return None
    fields = [
        price.input_mtok,
        price.output_mtok,
        price.cache_read_mtok,
        price.cache_write_mtok,
    ]
    bases: list[Decimal] = []
    below = float("inf")
    for value in fields:
        if value is None or isinstance(value, Decimal):
            bases.append(value if value is not None else Decimal(-1))
            continue
        tiers = getattr(value, "tiers", None)
        base = getattr(value, "base", None)
        if not isinstance(base, Decimal) or not tiers:
            return None
        bases.append(base)
        below = min(below, *(tier.start for tier in tiers))
    if bases[0] < 0 or bases[1] < 0:
        return None
    return Rates(
        input=bases[0],
        output=bases[1],
        cache_read=bases[2] if bases[2] >= 0 else bases[0],
        cache_write=bases[3] if bases[3] >= 0 else bases[0],
        below=below,
    )


def _linear_cost(rates: Rates, usage: Usage) -> Decimal:
    plain = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    total = (
        plain * rates.input
        + usage.cache_read_tokens * rates.cache_read
        + usage.cache_write_tokens * rates.cache_write
        + usage.output_tokens * rates.output
    )
    return total / MILLION


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
