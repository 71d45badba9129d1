"""Compress step: runs the workspace's compression steps on the body sent upstream.

Reads the body, the model, the workspace's options and `x-optera-compress`;
writes the compressed body, the Savings flags and one saving per step that
changed something (tokens, dollars, and what it did).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from appliance.compression import breakpoints, images, preamble, repetition, tools
from appliance.compression.options import CompressionOptions
from appliance.compression.result import StepResult
from appliance.compression.summarize import Price, SummarizeCall, Summarizer
from appliance.compression.summary_cache import LRUSummaryCache, SummaryCache
from appliance.pipeline.context import Exchange, Next, Reply
from appliance.tokens import TokenCounter

log = logging.getLogger(__name__)

# Summarize runs before repetition so that a repeat marker never points at
# text the summary has replaced.
ORDER = ("preamble", "summarize", "repetition", "tools", "images", "breakpoints")
SYNC_STEPS = MappingProxyType(
    {
        "preamble": preamble.apply,
        "repetition": repetition.apply,
        "tools": tools.apply,
        "images": images.apply,
        "breakpoints": breakpoints.apply,
    }
)
FLAGS = MappingProxyType(
    {
        "preamble": "preamble_stripped",
        "summarize": "conversation_summarized",
        "repetition": "repetition_removed",
        "tools": "tools_compressed",
        "images": "image_optimized",
    }
)
SWITCHES = MappingProxyType({"breakpoints": "provider_cache_breakpoints"})
# Bodies this small compress in well under a millisecond: a thread hop would
# cost more than it spares the event loop.
INLINE_BYTES = 32 * 1024

OptionsFor = Callable[[Exchange], CompressionOptions]
SummarizeCallFor = Callable[[Exchange], SummarizeCall]


@dataclass(frozen=True)
class _Job:
    """What every step of one request's compression shares."""

    protocol: str
    model: str
    options: CompressionOptions
    inline: bool
    summarizer: Summarizer | None


class CompressStep:
    """Shrinks chat requests; `x-optera-compress: off` leaves one untouched.

    Summaries are written only when `summarize_call_for` is given: it returns
    the upstream call for one exchange, made with that caller's own key.
    """

    def __init__(
        self,
        counter: TokenCounter,
        price: Price,
        defaults: CompressionOptions,
        *,
        summarize_call_for: SummarizeCallFor | None = None,
        summary_cache: SummaryCache | None = None,
        options_for: OptionsFor | None = None,
    ) -> None:
        self._counter = counter
        self._price = price
        self._defaults = defaults
        self._summarize_call_for = summarize_call_for
        self._summary_cache = summary_cache or LRUSummaryCache()
        self._options_for = options_for or self._workspace_options

    async def __call__(self, ex: Exchange, call_next: Next) -> Reply:
        if ex.is_chat and ex.body is not None and ex.control("compress") != "off":
            await self._compress(ex, ex.body)
        return await call_next(ex)

    async def _compress(self, ex: Exchange, body: dict[str, Any]) -> None:
        job = self._job(ex)
        changed = False
        for name in self._enabled(job):
            result = await self._run(name, body, job)
            if result is None or not result.changed:
                continue
            body, changed = result.body, True
            self._record(ex, name, job.model, result)
        if changed:
            ex.replace_body(body)
            ex.savings.compressed = any(name in ex.savings.steps for name in FLAGS)

    def _job(self, ex: Exchange) -> _Job:
        options = self._options_for(ex)
        summarizer = None
        if self._summarize_call_for is not None and options.summarize:
            call = self._summarize_call_for(ex)
            summarizer = Summarizer(call, self._price, self._summary_cache)
        return _Job(
            protocol="anthropic" if ex.path == "/v1/messages" else "openai",
            model=ex.model or "",
            options=options,
            inline=len(ex.raw_body) < INLINE_BYTES,
            summarizer=summarizer,
        )

    def _workspace_options(self, ex: Exchange) -> CompressionOptions:
        """The config's options under the workspace's stored `compression` overrides."""
        stored = ex.workspace.settings if ex.workspace is not None else {}
        overrides = stored.get("compression") if isinstance(stored, dict) else None
        if not isinstance(overrides, dict):
            return self._defaults
        return self._defaults.with_overrides(overrides)

    def _enabled(self, job: _Job) -> list[str]:
        names = [n for n in ORDER if getattr(job.options, SWITCHES.get(n, n))]
        if job.summarizer is None and "summarize" in names:
            names.remove("summarize")
        return names

    async def _run(
        self, name: str, body: dict[str, Any], job: _Job
    ) -> StepResult | None:
        started = time.perf_counter()
        arguments = (body, job.protocol, self._counter, job.model, job.options)
        try:
            if name == "summarize" and job.summarizer is not None:
                result = await job.summarizer.apply(*arguments)
            elif job.inline:
                result = SYNC_STEPS[name](*arguments)
            else:
                result = await asyncio.to_thread(SYNC_STEPS[name], *arguments)
        except Exception:  # one faulty step must not fail the request
            log.exception("compression step %s failed; it is skipped", name)
            return None
        log.debug(
            "compression step %s: %d -> %d tokens in %.1f ms",
            name,
            result.tokens_before,
            result.tokens_after,
            (time.perf_counter() - started) * 1000,
        )
        return result

    def _record(self, ex: Exchange, name: str, model: str, result: StepResult) -> None:
        flag = FLAGS.get(name)
        if flag is None:
            return
        setattr(ex.savings, flag, True)
        saved = result.tokens_saved
        usd = self._price(model, saved, 0) if saved > 0 else Decimal(0)
        cost = result.detail.get("cost_usd", Decimal(0))
        detail = {
            k: str(v) if isinstance(v, Decimal) else v for k, v in result.detail.items()
        }
        ex.savings.add(name, tokens=saved, usd=usd - cost, **detail)
