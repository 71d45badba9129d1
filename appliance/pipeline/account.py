"""Account step: prices the usage, splits the saving by optimization, and
queues one usage record per request, errors and aborted streams included.

Savings are measured against the raw request: the asked model, the prompt
before compression, no Optera cache. The provider's own prompt cache is
reported on its own and is not part of X-Cost-Saved-USD.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from typing import Any

from appliance.errors import OpteraError
from appliance.pipeline.context import Exchange, Next, Reply
from appliance.pricing.prices import Pricer
from appliance.providers.usage import Usage
from appliance.store.models import utcnow
from appliance.store.writer import UsageWriter

log = logging.getLogger(__name__)
UNPRICED_STEPS = ("preamble", "repetition", "tools", "images")


class AccountStep:
    def __init__(
        self, pricer: Pricer, writer: UsageWriter, store_prompts: bool
    ) -> None:
        self._pricer = pricer
        self._writer = writer
        self._store_prompts = store_prompts

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        try:
            reply = await call_next(ex)
        except OpteraError as error:
            ex.outcome.status = error.status
            ex.outcome.error_type = error.code
            self._record(ex)
            raise
        except Exception:
            ex.outcome.status = 500
            ex.outcome.error_type = "internal_error"
            self._record(ex)
            raise
        if reply.chunks is not None:
            if ex.outcome.cache in ("exact", "semantic"):
                self.price(ex)
            else:
                self.price_known(ex)
            ex.stream_finalizers.append(self._finish_stream)
            return reply
        self.price(ex)
        self._record(ex)
        return reply

    async def _finish_stream(self, ex: Exchange) -> None:
        if ex.outcome.cache not in ("exact", "semantic"):
            self.price(ex)
        self._record(ex)

    def price_known(self, ex: Exchange) -> None:
        """Before a stream's first byte: price what is known (compression, hits)."""
        model = ex.original_model or ""
        for name in UNPRICED_STEPS:
            saving = ex.savings.steps.get(name)
            if saving is not None and saving.usd == 0 and saving.tokens > 0:
                saving.usd = self._input_price(ex, model, saving.tokens)

    def price(self, ex: Exchange) -> None:
        """Fill cost, raw cost and every saving from the usage of the answer."""
        usage = ex.outcome.usage
        provider = ex.fmt.name
        sent = ex.model or ""
        original = ex.original_model or sent
        if ex.outcome.cache in ("exact", "semantic"):
            self._price_hit(ex, provider, original, usage)
            return
        if usage is None:
            self.price_known(ex)
            ex.cost_usd = Decimal(0)
            ex.raw_cost_usd = ex.savings.usd_saved
            return
        ex.cost_usd = self._pricer.cost(provider, sent, usage)
        if ex.savings.routed and sent != original:
            asked = self._pricer.cost(provider, original, usage)
            ex.savings.add("routing", usd=asked - ex.cost_usd)
        self.price_known(ex)
        ex.raw_cost_usd = ex.cost_usd + ex.savings.usd_saved
        self._provider_cache(ex, provider, sent, usage)

    def _price_hit(
        self, ex: Exchange, provider: str, model: str, usage: Usage | None
    ) -> None:
        """A cache hit saves the whole stored answer: what the provider charged."""
        stored = usage or Usage()
        name = "exact_cache" if ex.outcome.cache == "exact" else "semantic_cache"
        usd = self._pricer.cost(provider, model, stored)
        ex.savings.add(name, tokens=stored.total_tokens, usd=usd)
        ex.cost_usd = Decimal(0)
        ex.raw_cost_usd = usd

    def _provider_cache(
        self, ex: Exchange, provider: str, model: str, usage: Usage
    ) -> None:
        if not (usage.cache_read_tokens or usage.cache_write_tokens):
            return
        saved = self._pricer.uncached_cost(provider, model, usage) - ex.cost_usd
        ex.savings.provider_cache_hit = usage.cache_read_tokens > 0
        ex.savings.provider_cache_usd = saved
        ex.savings.add("provider_cache", tokens=usage.cache_read_tokens, usd=saved)

    def _input_price(self, ex: Exchange, model: str, tokens: int) -> Decimal:
        return self._pricer.cost(ex.fmt.name, model, Usage(input_tokens=tokens))

    def _record(self, ex: Exchange) -> None:
        if ex.workspace is None:
            log.info(
                "request %s path=%s status=%s unauthenticated",
                ex.request_id,
                ex.path,
                ex.outcome.status,
            )
            return
        store = ex.workspace.settings.get("store_prompts", self._store_prompts)
        record = record_fields(ex, bool(store))
        self._writer.add(record, ex.counted_period)
        log.info(
            "request %s key=%s workspace=%s model=%s status=%s cache=%s tokens=%s/%s "
            "cost=%s saved=%s latency_ms=%.1f",
            ex.request_id,
            record["key_id"],
            record["workspace_id"],
            record["sent_model"],
            record["status"],
            record["cache"],
            record["prompt_tokens"],
            record["completion_tokens"],
            record["cost_usd"],
            record["cost_saved_usd"],
            record["latency_ms"],
        )


def record_fields(ex: Exchange, store_prompts: bool) -> dict[str, Any]:
    """The usage record's columns, as a plain dict: cheap on the request path."""
    usage = ex.outcome.usage or Usage()
    served_from_cache = ex.outcome.cache in ("exact", "semantic")
    spent = Usage() if served_from_cache else usage
    return {
        "created_at": utcnow(),
        "request_id": ex.request_id,
        "workspace_id": ex.workspace.id if ex.workspace else None,
        "key_id": ex.key.id if ex.key else None,
        "feature_tag": ex.tags.feature,
        "team_tag": ex.tags.team,
        "user_tag": ex.tags.user,
        "protocol": ex.fmt.name,
        "endpoint": ex.path,
        "original_model": ex.original_model,
        "sent_model": ex.model,
        "status": ex.outcome.status,
        "streamed": ex.stream,
        "aborted": ex.outcome.aborted,
        "cache": ex.outcome.cache,
        "error_type": ex.outcome.error_type,
        "latency_ms": round((time.perf_counter() - ex.started) * 1000, 3),
        "prompt_tokens": spent.input_tokens,
        "completion_tokens": spent.output_tokens,
        "cached_tokens": spent.cache_read_tokens,
        "cache_write_tokens": spent.cache_write_tokens,
        "reasoning_tokens": spent.reasoning_tokens,
        "cost_usd": ex.cost_usd,
        "raw_cost_usd": ex.raw_cost_usd,
        "cost_saved_usd": ex.raw_cost_usd - ex.cost_usd,
        "tokens_saved": ex.savings.tokens_saved,
        "provider_cache_saved_usd": ex.savings.provider_cache_usd,
        "optimizations": ",".join(ex.savings.fired()),
        "savings": {
            name: {"tokens": s.tokens, "usd": str(s.usd), **s.detail}
            for name, s in ex.savings.steps.items()
        },
        "request_hash": ex.fingerprint,
        "conversation_hash": ex.conversation_fingerprint,
        "prompt_text": _prompt_text(ex) if store_prompts else None,
    }


def _prompt_text(ex: Exchange) -> str | None:
    return ex.raw_body.decode("utf-8", errors="replace") if ex.raw_body else None
